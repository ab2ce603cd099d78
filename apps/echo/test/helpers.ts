import dgram from "node:dgram";
import net from "node:net";
import { afterEach } from "vitest";
import type { ConnectionEvent, EventSink } from "@porthost/events";
import type { Logger } from "@porthost/log";
import { readConfig, type DiscardSettings, type EchoSettings } from "@porthost/ports";
import type { ListeningEndpoint } from "@porthost/runner";
import { buildEcho, type EchoService } from "../src/index.js";

const defaults = readConfig({}, "/tmp");

export interface Started {
  readonly app: EchoService;
  readonly events: ConnectionEvent[];
  readonly echoTcp: ListeningEndpoint;
  readonly echoUdp: ListeningEndpoint;
  readonly discardTcp: ListeningEndpoint;
  readonly discardUdp: ListeningEndpoint;
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs `cleanup` after the current test, last registered first. */
export function later(cleanup: () => unknown): void {
  cleanups.push(cleanup);
}

/** Starts echo and discard in-process on free ports of 127.0.0.1, collecting their events. */
export async function startEcho(
  overrides: {
    echo?: Partial<EchoSettings>;
    discard?: Partial<DiscardSettings>;
    readBroadcasts?: () => Set<string>;
    ownPorts?: readonly number[];
    logger?: Logger;
  } = {},
): Promise<Started> {
  const events: ConnectionEvent[] = [];
  const sink: EventSink = { send: (event) => events.push(event) };
  const app = buildEcho({
    host: "127.0.0.1",
    echoPort: 0,
    discardPort: 0,
    echo: { ...defaults.echo, ...overrides.echo },
    discard: { ...defaults.discard, ...overrides.discard },
    events: sink,
    ...(overrides.readBroadcasts ? { readBroadcasts: overrides.readBroadcasts } : {}),
    ...(overrides.logger ? { logger: overrides.logger } : {}),
    ...(overrides.ownPorts ? { ownPorts: overrides.ownPorts } : {}),
  });
  const [echoTcp, echoUdp, discardTcp, discardUdp] = await app.listen();
  later(() => app.close());
  if (!echoTcp || !echoUdp || !discardTcp || !discardUdp) throw new Error("expected four endpoints");
  return { app, events, echoTcp, echoUdp, discardTcp, discardUdp };
}

/** Polls `condition` every 10 ms; fails naming `what` after about 5 s. */
export async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
    later(() => socket.destroy());
  });
}

/** Everything a socket receives until the server ends or closes it. */
export function readAll(socket: net.Socket): Promise<{ data: Buffer; ended: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let ended = false;
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => (ended = true));
    socket.on("error", () => undefined);
    socket.on("close", () => resolve({ data: Buffer.concat(chunks), ended }));
  });
}

export interface UdpClient {
  readonly socket: dgram.Socket;
  readonly port: number;
  readonly received: { data: Buffer; from: dgram.RemoteInfo }[];
  send(data: Buffer | string, port: number): Promise<void>;
}

/** A UDP client on 127.0.0.1 (port 0: any free port) that records every datagram it gets. */
export async function udpClient(port = 0): Promise<UdpClient> {
  const socket = dgram.createSocket("udp4");
  const received: UdpClient["received"] = [];
  socket.on("message", (data, from) => received.push({ data, from }));
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, "127.0.0.1", () => resolve());
  });
  later(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return {
    socket,
    port: socket.address().port,
    received,
    send: (data, to) =>
      new Promise((resolve, reject) =>
        socket.send(typeof data === "string" ? Buffer.from(data) : data, to, "127.0.0.1", (error) =>
          error ? reject(error) : resolve(),
        ),
      ),
  };
}
