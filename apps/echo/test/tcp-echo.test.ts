import { randomBytes } from "node:crypto";
import type net from "node:net";
import { describe, expect, it } from "vitest";
import { connect, readAll, startEcho, until } from "./helpers.js";

describe("echo over TCP", () => {
  it("returns every byte in order, and ends after the client half-closes", async () => {
    const { echoTcp } = await startEcho();
    const payload = randomBytes(4 * 1024 * 1024);
    const socket = await connect(echoTcp.port);
    const reply = readAll(socket);
    socket.end(payload);
    const { data, ended } = await reply;
    expect(ended).toBe(true);
    expect(data.length).toBe(payload.length);
    expect(data.equals(payload)).toBe(true);
  });

  it("keeps echoing after the client half-closes until every byte is back", async () => {
    const { echoTcp } = await startEcho();
    const socket = await connect(echoTcp.port);
    socket.write("first line\n");
    socket.end("last words\n");
    const { data, ended } = await readAll(socket);
    expect(data.toString()).toBe("first line\nlast words\n");
    expect(ended).toBe(true);
  });

  it("reports one event per connection with byte counters", async () => {
    const { echoTcp, events } = await startEcho();
    const socket = await connect(echoTcp.port);
    const clientPort = socket.localPort;
    const reply = readAll(socket);
    socket.end("hello porthost\n");
    await reply;
    await until(() => events.length === 1, "the connection event");
    expect(events[0]).toMatchObject({
      service: "echo",
      transport: "tcp",
      localPort: echoTcp.port,
      remoteAddress: "127.0.0.1",
      remotePort: clientPort,
      bytesIn: 15,
      bytesOut: 15,
      outcome: "ok",
    });
    expect(events[0]?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("holds a bounded buffer for a client that sends but never reads", async () => {
    const bufferBytes = 16 * 1024;
    const { app, echoTcp } = await startEcho({ echo: { bufferBytes } });
    let serverSide: net.Socket | undefined;
    app.echoTcp.server.once("connection", (s: net.Socket) => (serverSide = s));
    const client = await connect(echoTcp.port);
    client.pause();
    // Far more than the kernel's socket buffers can hold on both sides.
    const total = 256 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let written = 0;
    const pump = (): void => {
      while (written < total) {
        written += chunk.length;
        if (!client.write(chunk)) return void client.once("drain", pump);
      }
    };
    pump();
    await until(() => serverSide !== undefined, "the server side of the connection");
    const server = serverSide!;
    // Wait until the server stops reading: paused by pipe, and bytesRead put across ten looks.
    let last = -1;
    let still = 0;
    let maxBuffered = 0;
    await until(() => {
      maxBuffered = Math.max(maxBuffered, server.writableLength);
      still = server.bytesRead === last ? still + 1 : 0;
      last = server.bytesRead;
      return still >= 10 && server.isPaused();
    }, "the server to stop reading");
    // The rest waits in the client's memory and the kernel, not in porthost.
    expect(server.bytesRead).toBeLessThan(total / 4);
    expect(written).toBeLessThan(total);
    // One read (at most 64 KiB) may land past the high-water mark before pipe pauses.
    expect(maxBuffered).toBeLessThanOrEqual(bufferBytes + 64 * 1024);
    expect(server.readableLength).toBeLessThanOrEqual(bufferBytes + 64 * 1024);
    // Reading resumes the flow: the echo was paused, not broken.
    const before = server.bytesRead;
    client.resume();
    await until(() => server.bytesRead > before, "the server to read again once the client reads");
  });

  it("closes a connection idle for longer than the idle timeout", async () => {
    const { echoTcp, events } = await startEcho({ echo: { idleTimeoutMs: 150 } });
    const socket = await connect(echoTcp.port);
    const { data } = await readAll(socket);
    expect(data.length).toBe(0);
    await until(() => events.length === 1, "the timeout event");
    expect(events[0]).toMatchObject({ outcome: "timeout", detail: "idle for 150 ms" });
  });

  it("accepts and closes at once a connection over the limit, and counts it", async () => {
    const { app, echoTcp, events } = await startEcho({ echo: { maxConnections: 2 } });
    const first = await connect(echoTcp.port);
    const second = await connect(echoTcp.port);
    await until(() => app.echoTcp.stats().open === 2, "two open connections");
    const third = await connect(echoTcp.port);
    const thirdPort = third.localPort;
    const refused = readAll(third);
    third.write("anyone there?");
    const { data } = await refused;
    expect(data.length).toBe(0);
    expect(app.echoTcp.stats()).toMatchObject({ open: 2, refused: 1 });
    await until(() => events.length === 1, "the refusal event");
    expect(events[0]).toMatchObject({
      service: "echo",
      outcome: "limited",
      detail: "connection limit 2",
      remotePort: thirdPort,
    });
    // The two within the limit still echo.
    for (const socket of [first, second]) {
      const reply = readAll(socket);
      socket.end("still here");
      expect((await reply).data.toString()).toBe("still here");
    }
  });

  it("on close stops accepting and ends open connections after flushing", async () => {
    const { app, echoTcp, events } = await startEcho();
    const socket = await connect(echoTcp.port);
    const reply = readAll(socket);
    socket.write("in flight");
    await until(() => app.echoTcp.stats().open === 1 && events.length === 0, "the open connection");
    await new Promise<void>((resolve) => socket.once("data", () => resolve()));
    await app.close();
    const { data, ended } = await reply;
    expect(data.toString()).toBe("in flight");
    expect(ended).toBe(true);
    await until(() => events.length === 1, "the event of the stopped connection");
    expect(events[0]).toMatchObject({ outcome: "ok", detail: "server stopping" });
  });
});
