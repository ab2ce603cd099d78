import dgram from "node:dgram";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import tls from "node:tls";
import { testTlsMaterial } from "@porthost/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { HealthProbeError, probeService } from "./health-probe.js";
import { runHealthcheck } from "./healthcheck-cli.js";

const HOST = "127.0.0.1";
const SHORT_TIMEOUT_MS = 300; // 0.3 s: the silent-server cases wait this long

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function tcpServer(onConnection: (socket: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}

async function httpServer(status: number, type: string): Promise<number> {
  const server = http.createServer((request, response) => {
    response.writeHead(status, { "content-type": type, connection: "close" }).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

async function udpServer(onMessage: (socket: dgram.Socket, message: Buffer, from: dgram.RemoteInfo) => void) {
  const socket = dgram.createSocket("udp4");
  socket.on("message", (message, from) => onMessage(socket, message, from));
  await new Promise<void>((resolve) => socket.bind(0, HOST, resolve));
  cleanups.push(() => new Promise((resolve) => socket.close(() => resolve())));
  return socket.address().port;
}

/** A port that nothing listens on: bound by the system, then released. */
async function closedTcpPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function closedUdpPort(): Promise<number> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, HOST, resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

const at = (port: number) => ({ host: HOST, port });

describe("probeService", () => {
  it("accepts an HTTP 200 JSON answer on /api/ports and refuses a 500 or HTML", async () => {
    await expect(probeService("http", "tcp", at(await httpServer(200, "application/json")))).resolves.toBeUndefined();
    await expect(probeService("http", "tcp", at(await httpServer(500, "application/json")))).rejects.toThrow(
      /answered 500/,
    );
    await expect(probeService("http", "tcp", at(await httpServer(200, "text/html")))).rejects.toThrow(/not JSON/);
  });

  it("accepts an SMTP 220 greeting and refuses a 554 one", async () => {
    const good = await tcpServer((socket) => socket.write("220 porthost ESMTP\r\n"));
    await expect(probeService("smtp", "tcp", at(good))).resolves.toBeUndefined();
    const busy = await tcpServer((socket) => socket.end("554 go away\r\n"));
    await expect(probeService("smtp", "tcp", at(busy))).rejects.toThrow(
      /smtp\/tcp at 127\.0\.0\.1:\d+: expected an SMTP 220/,
    );
  });

  it("accepts a POP3 +OK greeting and refuses -ERR", async () => {
    await expect(
      probeService("pop3", "tcp", at(await tcpServer((socket) => socket.write("+OK ready\r\n")))),
    ).resolves.toBeUndefined();
    await expect(
      probeService("pop3", "tcp", at(await tcpServer((socket) => socket.write("-ERR no\r\n")))),
    ).rejects.toThrow(/POP3 \+OK/);
  });

  it("reads the greeting over TLS from the first byte on submissions and pop3s, and fails on a plain-text one", async () => {
    const sockets = new Set<tls.TLSSocket>();
    const server = tls.createServer(testTlsMaterial(), (socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.write(socket.localPort === smtpsPort ? "220 porthost ESMTP\r\n" : "+OK ready\r\n");
    });
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    const smtpsPort = (server.address() as AddressInfo).port;
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    await expect(probeService("submissions", "tcp", at(smtpsPort))).resolves.toBeUndefined();
    const plain = await tcpServer((socket) => socket.write("220 plain text\r\n"));
    await expect(probeService("submissions", "tcp", at(plain), SHORT_TIMEOUT_MS * 10)).rejects.toThrow(
      /submissions\/tcp at 127\.0\.0\.1:\d+: /,
    );
    await expect(probeService("pop3s", "tcp", at(plain), SHORT_TIMEOUT_MS * 10)).rejects.toThrow(HealthProbeError);
  });

  it("needs a TCP echo to send back exactly what it got", async () => {
    await expect(probeService("echo", "tcp", at(await tcpServer((s) => s.pipe(s))))).resolves.toBeUndefined();
    const wrong = await tcpServer((socket) => socket.once("data", (data: Buffer) => socket.write(data.reverse())));
    await expect(probeService("echo", "tcp", at(wrong))).rejects.toThrow(/echo sent back/);
  });

  it("needs a UDP echo to answer the datagram", async () => {
    const port = await udpServer((socket, message, from) => socket.send(message, from.port, from.address));
    await expect(probeService("echo", "udp", at(port))).resolves.toBeUndefined();
    await expect(probeService("echo", "udp", at(await closedUdpPort()), SHORT_TIMEOUT_MS)).rejects.toThrow(
      HealthProbeError,
    );
  });

  it("accepts a TCP discard that keeps quiet and refuses one that answers", async () => {
    await expect(probeService("discard", "tcp", at(await tcpServer((s) => s.resume())))).resolves.toBeUndefined();
    const chatty = await tcpServer((socket) => socket.write("hello\r\n"));
    await expect(probeService("discard", "tcp", at(chatty))).rejects.toThrow(/sent bytes back/);
  });

  it("accepts a listening UDP discard and hears when nobody listens", async () => {
    await expect(probeService("discard", "udp", at(await udpServer(() => undefined)))).resolves.toBeUndefined();
    await expect(probeService("discard", "udp", at(await closedUdpPort()))).rejects.toThrow(/ECONNREFUSED/);
  });

  it("fails fast on a closed port and on a server that says nothing", async () => {
    await expect(probeService("smtp", "tcp", at(await closedTcpPort()))).rejects.toThrow(/ECONNREFUSED/);
    const silent = await tcpServer(() => undefined);
    await expect(probeService("smtp", "tcp", at(silent), SHORT_TIMEOUT_MS)).rejects.toThrow(/no answer within 300 ms/);
  });

  it("says so when it has no probe for a service and transport", async () => {
    // A connection to a knock port is a knock: the knock sequence has no probe.
    await expect(probeService("knock", "tcp", at(1))).rejects.toThrow(/no health probe/);
  });
});

describe("runHealthcheck", () => {
  function io(env: Record<string, string>) {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { env, out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
  }

  it("probes each named service at the port the config gives it", async () => {
    const port = await tcpServer((socket) => socket.write("220 ok\r\n"));
    const run = io({ PORTHOST_SMTP_PORT: String(port) });
    expect(await runHealthcheck(["smtp"], run.io)).toBe(0);
    expect(run.out).toEqual([`smtp/tcp on ${port}: healthy`]);
  });

  it("is unhealthy (1) when one probe fails, naming it", async () => {
    const smtp = await tcpServer((socket) => socket.write("220 ok\r\n"));
    const echo = await closedTcpPort();
    const run = io({ PORTHOST_SMTP_PORT: String(smtp), PORTHOST_ECHO_PORT: String(echo) });
    expect(await runHealthcheck(["smtp", "echo"], run.io)).toBe(1);
    expect(run.err.join("\n")).toMatch(new RegExp(`echo/tcp at 127\\.0\\.0\\.1:${echo}: .*ECONNREFUSED`));
  });

  it("refuses no service, an unknown one and a bad setting with 2", async () => {
    expect(await runHealthcheck([], io({}).io)).toBe(2);
    const unknown = io({});
    expect(await runHealthcheck(["smpt"], unknown.io)).toBe(2);
    expect(unknown.err[0]).toMatch(/unknown service "smpt"/);
    const bad = io({ PORTHOST_SMTP_PORT: "lots" });
    expect(await runHealthcheck(["smtp"], bad.io)).toBe(2);
    expect(bad.err[0]).toMatch(/PORTHOST_SMTP_PORT/);
  });
});
