import http from "node:http";
import net from "node:net";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConnectionEvent } from "@porthost/events";
import { createLogger } from "@porthost/log";
import { MailStore, maildirRoot } from "@porthost/mailstore";
import { testEnvelope } from "@porthost/mailstore/testing";
import { Readable } from "node:stream";
import { testConfig, testDataDir } from "./test-config.js";
import { buildWeb, type WebService } from "../src/index.js";

const TOKEN = "test-token-0123456789abcdef";
const echoEvent: ConnectionEvent = {
  time: "2026-11-22T02:00:00.000Z",
  service: "echo",
  transport: "udp",
  localPort: 8007,
  remoteAddress: "127.0.0.1",
  remotePort: 51234,
  bytesIn: 5,
  bytesOut: 5,
  durationMs: 0.1,
  outcome: "ok",
};

let web: WebService;
let base: string;

beforeAll(async () => {
  web = await buildWeb({ config: testConfig({ PORTHOST_EVENTS_TOKEN: TOKEN }), port: 0 });
  base = `http://127.0.0.1:${(await web.listen())[0]!.port}`;
});
afterAll(() => web.close());

function post(body: unknown, token?: string): Promise<Response> {
  return fetch(`${base}/api/events`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

describe("POST /api/events", () => {
  it("accepts a batch with the right token", async () => {
    const response = await post({ events: [echoEvent, { ...echoEvent, remotePort: 51235 }] }, TOKEN);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 2 });
  });

  it.each([
    [undefined, 401],
    ["wrong-token-0123456789abcdef", 401],
    [`${TOKEN}x`, 401],
  ])("refuses token %s with %i, keeping nothing", async (token, status) => {
    const before = web.hub.stats().received;
    const response = await post({ events: [echoEvent] }, token);
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ code: "PORTHOST_WEB_EVENTS_UNAUTHORIZED" });
    expect(web.hub.stats().received).toBe(before);
  });

  it.each([
    ["a port past 65535", { events: [echoEvent, { ...echoEvent, remotePort: 70000 }] }, "/events/1/remotePort"],
    ["a local time", { events: [{ ...echoEvent, time: "2026-11-22T02:00:00" }] }, "/events/0/time"],
    ["a service name with capitals", { events: [{ ...echoEvent, service: "Echo" }] }, "/events/0/service"],
    [
      "a host name for an address",
      { events: [{ ...echoEvent, remoteAddress: "localhost" }] },
      "/events/0/remoteAddress",
    ],
    ["absurd bytes", { events: [{ ...echoEvent, bytesIn: 2 ** 51 }] }, "/events/0/bytesIn"],
    ["a negative duration", { events: [{ ...echoEvent, durationMs: -1 }] }, "/events/0/durationMs"],
    ["a detail over 200 characters", { events: [{ ...echoEvent, detail: "x".repeat(201) }] }, "/events/0/detail"],
    ["an unknown outcome", { events: [{ ...echoEvent, outcome: "great" }] }, "/events/0/outcome"],
    ["an unknown field", { events: [{ ...echoEvent, colour: "red" }] }, '"colour"'],
    ["101 events", { events: Array.from({ length: 101 }, () => echoEvent) }, "/events"],
    ["no events list", { event: echoEvent }, "events"],
  ])("refuses %s with 400 from the catalogue, naming where, keeping nothing", async (_what, body, where) => {
    const before = web.hub.stats().received;
    const response = await post(body, TOKEN);
    expect(response.status).toBe(400);
    const error = (await response.json()) as { code: string; message: string };
    expect(error.code).toBe("PORTHOST_WEB_BAD_EVENTS");
    expect(error.message).toContain(where);
    expect(web.hub.stats().received).toBe(before);
  });

  it("asks for the token before it reads the batch", async () => {
    const response = await post({ events: "not even a list" });
    expect(response.status).toBe(401);
  });

  it("takes a full batch of 100", async () => {
    const response = await post({ events: Array.from({ length: 100 }, () => echoEvent) }, TOKEN);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 100 });
  });

  it("is off (403) when the web service has no token", async () => {
    const open = await buildWeb({ config: testConfig() });
    const response = await open.app.inject({ method: "POST", url: "/api/events", payload: { events: [echoEvent] } });
    expect(response.statusCode).toBe(403);
    await open.close();
  });
});

describe("GET /api/events and the stream", () => {
  it("lists what arrived, including the web service's own requests, and pages with ?since", async () => {
    await fetch(`${base}/api/whoami`);
    const all = (await (await fetch(`${base}/api/events`)).json()) as {
      events: { id: number; service: string; detail?: string }[];
      lastId: number;
    };
    expect(all.events.some((e) => e.service === "echo" && e.id > 0)).toBe(true);
    const request = all.events.find((e) => e.service === "http" && e.detail === "GET /api/whoami 200");
    expect(request).toBeDefined();
    // The event stream's own requests are not events.
    expect(all.events.some((e) => e.detail?.startsWith("POST /api/events"))).toBe(false);
    const later = (await (await fetch(`${base}/api/events?since=${request!.id}`)).json()) as {
      events: { id: number }[];
    };
    expect(later.events.every((e) => e.id > request!.id)).toBe(true);
  });

  it("streams history after Last-Event-ID, then live events, as text/event-stream", async () => {
    const lastId = web.hub.stats().lastId;
    const frames: string[] = [];
    const request = http.get(`${base}/api/events/stream`, { headers: { "last-event-id": String(lastId) } });
    const response = await new Promise<http.IncomingMessage>((resolve) => request.on("response", resolve));
    expect(response.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => frames.push(chunk));
    await post({ events: [{ ...echoEvent, remotePort: 40000 }] }, TOKEN);
    await expect.poll(() => frames.join("")).toContain('"remotePort":40000');
    const text = frames.join("");
    expect(text).toMatch(new RegExp(`id: ${lastId + 1}\\nevent: connection\\ndata: \\{`));
    request.destroy();
  });

  it("replays the whole history to a Last-Event-ID from an earlier run of the service", async () => {
    const { lastId, kept } = web.hub.stats();
    expect(kept).toBeGreaterThan(0);
    const frames: string[] = [];
    const request = http.get(`${base}/api/events/stream`, { headers: { "last-event-id": String(lastId + 1000) } });
    const response = await new Promise<http.IncomingMessage>((resolve) => request.on("response", resolve));
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => frames.push(chunk));
    await expect.poll(() => frames.join("")).toContain(`id: ${lastId}\n`);
    expect(frames.join("")).toMatch(/^retry: \d+\n\nid: \d+\nevent: connection\n/);
    request.destroy();
  });
});

describe("the request log", () => {
  it("logs each request once at info, but the services' event reports only at debug", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      service: "web",
      destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    const logged = await buildWeb({ config: testConfig({ PORTHOST_EVENTS_TOKEN: TOKEN }), port: 0, logger });
    try {
      const url = `http://127.0.0.1:${(await logged.listen())[0]!.port}`;
      await fetch(`${url}/api/whoami`);
      const report = await fetch(`${url}/api/events`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ events: [echoEvent] }),
      });
      expect(report.status).toBeLessThan(300);
      const requests = lines.filter((l) => l.msg === "request");
      expect(requests.map((l) => [l.level, l.url])).toEqual([[30, "/api/whoami"]]);
    } finally {
      await logged.close();
    }
  });
});

describe("HTTP events count the wire", () => {
  type Listed = { events: (ConnectionEvent & { id: number })[] };
  const listed = async (since: number): Promise<Listed["events"]> =>
    ((await (await fetch(`${base}/api/events?since=${since}`)).json()) as Listed).events;

  it("counts request and status lines and headers, per request on a keep-alive connection", async () => {
    const since = web.hub.stats().lastId;
    const port = Number(new URL(base).port);
    const request = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
    const socket = net.connect(port, "127.0.0.1");
    let received = 0;
    socket.on("data", (chunk: Buffer) => (received += chunk.length));
    await once(socket, "connect");
    socket.write(request("/api/whoami"));
    await expect.poll(() => received).toBeGreaterThan(0);
    const first = received;
    socket.write(request("/api/no-such-thing"));
    await expect.poll(() => received).toBeGreaterThan(first);
    const rows = async () => (await listed(since)).filter((e) => e.remotePort === socket.localPort);
    await expect.poll(async () => (await rows()).length).toBe(2);
    const [whoami, missing] = await rows();
    expect(whoami).toMatchObject({ bytesIn: request("/api/whoami").length, bytesOut: first, status: 200 });
    expect(missing).toMatchObject({ bytesIn: request("/api/no-such-thing").length, status: 404 });
    expect(whoami!.bytesOut + missing!.bytesOut).toBe(received);
    socket.destroy();
  });

  it("reports a connection that sent nothing as a port check, and one cut mid-request as an error", async () => {
    const since = web.hub.stats().lastId;
    const port = Number(new URL(base).port);
    const silent = net.connect(port, "127.0.0.1");
    await once(silent, "connect");
    const silentPort = silent.localPort;
    silent.end();
    const partial = net.connect(port, "127.0.0.1");
    await once(partial, "connect");
    const partialPort = partial.localPort;
    partial.end("GET / HT");
    const row = async (remotePort: number | undefined) =>
      (await listed(since)).find((e) => e.remotePort === remotePort);
    await expect.poll(() => row(silentPort)).toMatchObject({ service: "http", probe: true, outcome: "ok" });
    await expect.poll(() => row(partialPort)).toMatchObject({ outcome: "error", bytesIn: 8 });
    expect((await row(partialPort))!.probe).toBeUndefined();
  });
});

describe("mail changes on the event stream", () => {
  it("sends event: mail for a message another process stores and one it deletes", async () => {
    const frames: string[] = [];
    const request = http.get(`${base}/api/events/stream`);
    const response = await new Promise<http.IncomingMessage>((resolve) => request.on("response", resolve));
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => frames.push(chunk));
    // Another process: its own store on the same Maildir, as SMTP, POP3 and porthost mail are.
    const other = await MailStore.open(maildirRoot(testDataDir));
    try {
      const { id } = await other.deliver(
        Readable.from(["From: a@example.test\r\nTo: b@example.test\r\nSubject: x\r\n\r\nhi\r\n"]),
        { envelope: testEnvelope() },
      );
      const frame = (change: string) => `event: mail\ndata: ${JSON.stringify({ change, id })}\n\n`;
      await expect.poll(() => frames.join("")).toContain(frame("arrived"));
      await other.delete(id);
      await expect.poll(() => frames.join("")).toContain(frame("deleted"));
    } finally {
      await other.close();
      request.destroy();
    }
  });
});
