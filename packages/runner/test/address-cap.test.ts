import net from "node:net";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import type { ConnectionEvent } from "@porthost/events";
import { ADDRESS_LIMIT_REPLIES, MAX_LINGERING_REFUSALS, capConnectionsPerAddress, listenTcp } from "../src/index.js";

const servers: net.Server[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A server that greets every admitted connection with "hello\n". */
async function greeter(max: number, reply?: (max: number) => string, host = "0.0.0.0", graceMs?: number) {
  const server = net.createServer((socket) => socket.write("hello\n"));
  servers.push(server);
  const events: ConnectionEvent[] = [];
  const cap = capConnectionsPerAddress(server, {
    service: "smtp",
    maxPerAddress: max,
    reply,
    events: { send: (event) => events.push(event) },
    graceMs,
  });
  const { port } = await listenTcp(server, { service: "smtp", transport: "tcp", host, port: 0 });
  return { port, cap, events };
}

/** Connects from `from` and resolves with everything the server sent before it closed, or its first line. */
async function firstWords(port: number, from: string): Promise<{ text: string; socket: net.Socket }> {
  const socket = net.connect({ port, host: "127.0.0.1", localAddress: from });
  sockets.push(socket);
  let text = "";
  socket.setEncoding("utf8");
  await new Promise<void>((resolve, reject) => {
    socket.on("data", (chunk: string) => {
      text += chunk;
      if (text.endsWith("\n")) resolve();
    });
    socket.on("end", () => resolve());
    socket.on("error", reject);
  });
  return { text, socket };
}

describe("capConnectionsPerAddress", () => {
  it("refuses one address's connection past the cap with the protocol's answer, and serves other addresses", async () => {
    const { port, cap, events } = await greeter(2, ADDRESS_LIMIT_REPLIES.smtp);
    const first = await firstWords(port, "127.0.0.1");
    expect(first.text).toBe("hello\n");
    expect((await firstWords(port, "127.0.0.1")).text).toBe("hello\n");
    const third = await firstWords(port, "127.0.0.1");
    expect(third.text).toMatch(/^421 4\.7\.0 Too many connections from your address \(2 at once/);
    await once(third.socket, "close");
    expect((await firstWords(port, "127.0.0.2")).text).toBe("hello\n");
    expect(cap.openFrom("127.0.0.1")).toBe(2);
    expect(cap.refused()).toBe(1);
    expect(events).toEqual([
      expect.objectContaining({ service: "smtp", outcome: "limited", remoteAddress: "127.0.0.1", localPort: port }),
    ]);
  });

  it("admits the address again once one of its connections closes", async () => {
    const { port, cap } = await greeter(1);
    const first = await firstWords(port, "127.0.0.1");
    const refused = await firstWords(port, "127.0.0.1");
    expect(refused.text).toBe("");
    first.socket.end();
    await once(first.socket, "close");
    // The server sees the close after the client does: wait for its count to fall.
    while (cap.openFrom("127.0.0.1") > 0) await new Promise((resolve) => setImmediate(resolve));
    expect((await firstWords(port, "127.0.0.1")).text).toBe("hello\n");
  });

  it("counts an IPv4 client of a dual-stack server (::ffff:127.0.0.1) as its IPv4 address", async () => {
    const { port, cap } = await greeter(1, undefined, "::");
    const first = await firstWords(port, "127.0.0.1");
    expect(first.socket.remoteAddress).toBe("127.0.0.1");
    expect(cap.openFrom("::ffff:127.0.0.1")).toBe(1);
    expect((await firstWords(port, "127.0.0.1")).text).toBe("");
  });

  it("cuts refused clients that do not read once MAX_LINGERING_REFUSALS wait, so refusals hold few slots", async () => {
    // A grace longer than any test: only the lingering limit can bring the count down.
    const { port } = await greeter(1, ADDRESS_LIMIT_REPLIES.pop3, "0.0.0.0", 3_600_000);
    const server = servers[0]!;
    const attempts = MAX_LINGERING_REFUSALS + 40;
    for (let i = 0; i < attempts + 1; i++) {
      const socket = net.connect({ port, host: "127.0.0.1" });
      socket.on("error", () => undefined);
      sockets.push(socket);
      await once(socket, "connect");
    }
    const open = (): Promise<number> =>
      new Promise((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      );
    // One admitted, the lingering refusals, and none of the others once their answers are written.
    while ((await open()) > 1 + MAX_LINGERING_REFUSALS) await new Promise((resolve) => setImmediate(resolve));
    expect(await open()).toBeLessThanOrEqual(1 + MAX_LINGERING_REFUSALS);
  });

  it("gives one address at most three quarters of the service's own limit", async () => {
    const server = net.createServer((socket) => socket.write("hello\n"));
    servers.push(server);
    capConnectionsPerAddress(server, { service: "pop3", maxPerAddress: 128, serviceMaxConnections: 4 });
    const { port } = await listenTcp(server, { service: "pop3", transport: "tcp", host: "127.0.0.1", port: 0 });
    const heard = [];
    for (let i = 0; i < 4; i++) heard.push((await firstWords(port, "127.0.0.1")).text);
    heard.push((await firstWords(port, "127.0.0.2")).text);
    expect(heard).toEqual(["hello\n", "hello\n", "hello\n", "", "hello\n"]);
  });
});
