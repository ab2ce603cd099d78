import http from "node:http";
import net from "node:net";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import type { ConnectionEvent } from "@porthost/events";
import { testConfig } from "./test-config.js";
import { buildWeb, type WebService } from "../src/index.js";
import { STREAM_BUFFER_BYTES } from "../src/events/events-routes.js";

const event: ConnectionEvent = {
  time: "2026-11-22T02:00:00.000Z",
  service: "echo",
  transport: "tcp",
  localPort: 8007,
  remoteAddress: "127.0.0.1",
  remotePort: 51234,
  bytesIn: 5,
  bytesOut: 5,
  durationMs: 0.1,
  outcome: "ok",
  detail: "x".repeat(200),
};

let web: WebService | undefined;
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await web?.close();
  web = undefined;
});

async function start(env: Record<string, string>): Promise<number> {
  web = await buildWeb({ config: testConfig(env), port: 0 });
  return (await web.listen())[0]!.port;
}

interface OpenStream {
  readonly response: http.IncomingMessage;
  /** Resolves with everything read once `text` has been read. */
  until(text: string): Promise<string>;
}

function openStream(port: number, from = "127.0.0.1"): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      { port, host: "127.0.0.1", localAddress: from, path: "/api/events/stream" },
      (response) => {
        let read = "";
        const waiting: { text: string; resolve: (all: string) => void }[] = [];
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          read += chunk;
          for (const w of waiting.filter((w) => read.includes(w.text))) w.resolve(read);
        });
        resolve({
          response,
          until: (text) =>
            read.includes(text) ? Promise.resolve(read) : new Promise((r) => waiting.push({ text, resolve: r })),
        });
      },
    );
    request.on("socket", (socket) => sockets.push(socket));
    request.on("error", reject);
  });
}

describe("event streams' budget", () => {
  it("answers the stream past PORTHOST_HTTP_MAX_STREAMS with 503, and opens one again once a stream ends", async () => {
    const port = await start({ PORTHOST_HTTP_MAX_STREAMS: "2" });
    const first = await openStream(port);
    await openStream(port);
    const third = await openStream(port);
    expect(third.response.statusCode).toBe(503);
    expect(third.response.headers["retry-after"]).toBe("10");
    expect(JSON.parse(await third.until("}"))).toMatchObject({ code: "PORTHOST_WEB_TOO_MANY_STREAMS" });
    first.response.destroy();
    while (web!.hub.stats().listeners > 1) await new Promise((resolve) => setImmediate(resolve));
    expect((await openStream(port)).response.statusCode).toBe(200);
  });

  it("writes a heartbeat comment line on a quiet stream", async () => {
    const port = await start({ PORTHOST_HTTP_STREAM_HEARTBEAT_MS: "100" });
    const stream = await openStream(port);
    expect(await stream.until(": keep-alive\n\n")).toMatch(/^retry: 2000\n\n/);
  });

  it("ends a stream at its lifetime, events or not", async () => {
    const port = await start({ PORTHOST_HTTP_STREAM_LIFETIME_MS: "300", PORTHOST_HTTP_STREAM_HEARTBEAT_MS: "100" });
    const stream = await openStream(port);
    const publisher = setInterval(() => web!.hub.publish(event), 20);
    try {
      await once(stream.response, "end");
    } finally {
      clearInterval(publisher);
    }
    expect(await stream.until("event: connection")).toContain("id: 1\n");
  });

  it("ends a stream that carried no event for the idle limit", async () => {
    const port = await start({ PORTHOST_HTTP_STREAM_IDLE_MS: "200" });
    const stream = await openStream(port);
    await once(stream.response, "end");
    expect(web!.hub.stats().listeners).toBe(0);
  });

  it("skips events for a reader that does not read, then drops it", async () => {
    const port = await start({ PORTHOST_HTTP_STREAM_HEARTBEAT_MS: "100" });
    const socket = net.connect(port, "127.0.0.1");
    sockets.push(socket);
    await once(socket, "connect");
    socket.write("GET /api/events/stream HTTP/1.1\r\nHost: localhost\r\n\r\n");
    socket.pause();
    while (web!.hub.stats().listeners === 0) await new Promise((resolve) => setImmediate(resolve));
    const closed = once(socket, "close");
    // Enough events to fill the kernel's buffers and then the stream's own; the stream is dropped.
    let published = 0;
    while (web!.hub.stats().listeners > 0) {
      for (let i = 0; i < 500; i++) web!.hub.publish(event);
      published += 500;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(published * 300).toBeGreaterThan(STREAM_BUFFER_BYTES);
    socket.resume();
    await closed;
  });
});

describe("connections per client address", () => {
  it("answers one address's connection past the cap with a JSON 503 and serves another address", async () => {
    const port = await start({ PORTHOST_MAX_CONNECTIONS_PER_ADDRESS: "2" });
    for (let i = 0; i < 2; i++) {
      const held = net.connect({ port, host: "127.0.0.1", localAddress: "127.0.0.1" });
      sockets.push(held);
      await once(held, "connect");
    }
    const refused = net.connect({ port, host: "127.0.0.1", localAddress: "127.0.0.1" });
    sockets.push(refused);
    refused.write("GET /api/ports HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let answer = "";
    refused.on("data", (chunk: Buffer) => (answer += chunk.toString()));
    await once(refused, "end");
    expect(answer).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4))).toMatchObject({
      statusCode: 503,
      code: "PORTHOST_WEB_TOO_MANY_CONNECTIONS",
    });
    const fromOther = net.connect({ port, host: "127.0.0.1", localAddress: "127.0.0.2" });
    sockets.push(fromOther);
    fromOther.write("GET /api/ports HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let served = "";
    fromOther.on("data", (chunk: Buffer) => (served += chunk.toString()));
    await once(fromOther, "end");
    expect(served).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });
});
