import type { Server, Socket } from "node:net";
import { connectionEvent, normalizeAddress, socketEndpoints, type EventSink } from "@porthost/events";
import { connectionFields, type Logger } from "@porthost/log";

/** A refused client has this long to take the answer before its connection is cut. */
export const REFUSAL_GRACE_MS = 2_000; // 2 s
/**
 * Refused connections given that grace at once; past it one is cut as soon as its answer is
 * written, so that refusals never hold the service's connection slots (a refusing server
 * still has each socket open until it closes).
 */
export const MAX_LINGERING_REFUSALS = 64;

/** One address never gets more than this share of a service's own connection limit: the rest stays for others. */
export const ADDRESS_SHARE = 0.75;

/** The variable that sets the cap, named in every refusal. */
export const PER_ADDRESS_VARIABLE = "PORTHOST_MAX_CONNECTIONS_PER_ADDRESS";

/** What a refused client hears in its protocol's words, before the close. */
export const ADDRESS_LIMIT_REPLIES = {
  smtp: (max: number) =>
    `421 4.7.0 Too many connections from your address (${max} at once, ${PER_ADDRESS_VARIABLE}): try again later\r\n`,
  pop3: (max: number) =>
    `-ERR [SYS/TEMP] too many connections from your address (${max} at once, ${PER_ADDRESS_VARIABLE}): try again later\r\n`,
} as const;

export interface AddressCapOptions {
  /** The service the server belongs to: named in the log line and the connection event. */
  readonly service: string;
  /** Connections one client address may hold at once; the next one is refused. */
  readonly maxPerAddress: number;
  /** The service's own limit on connections in all: one address gets at most ADDRESS_SHARE of it. */
  readonly serviceMaxConnections?: number | undefined;
  /** The protocol's answer to a refused client; unset: the connection is closed without a word. */
  readonly reply?: ((max: number) => string) | undefined;
  readonly logger?: Logger | undefined;
  /** Where the refusal is reported as a "limited" connection event. */
  readonly events?: EventSink | undefined;
  /** How long a refused client has to take the answer; REFUSAL_GRACE_MS by default. */
  readonly graceMs?: number | undefined;
}

export interface AddressCap {
  /** Connections open now from one address. */
  openFrom(address: string): number;
  /** Connections refused so far. */
  refused(): number;
}

type ConnectionListener = (socket: Socket) => void;

/**
 * At most `maxPerAddress` connections from one client address at once on `server`, and at most
 * three quarters of the service's own limit, so that one address cannot take every connection
 * the service has. Call it once the server is built: the
 * service's own connection listeners run only for the connections it admits. A refused client
 * gets `reply` (SMTP 421, POP3 -ERR, HTTP 503), its input is read and dropped, and the
 * connection is cut after REFUSAL_GRACE_MS if the client has not closed it by then: never a hang.
 */
export function capConnectionsPerAddress(server: Server, options: AddressCapOptions): AddressCap {
  const { service, logger, events } = options;
  const share = options.serviceMaxConnections === undefined ? Infinity : options.serviceMaxConnections * ADDRESS_SHARE;
  const max = Math.max(1, Math.min(options.maxPerAddress, Math.floor(share)));
  const open = new Map<string, number>();
  let refused = 0;
  const lingering = new Set<Socket>();
  const listeners = server.listeners("connection") as ConnectionListener[];
  server.removeAllListeners("connection");

  const refuse = (socket: Socket, address: string): void => {
    refused += 1;
    const detail = `${max} connections from ${address} (${PER_ADDRESS_VARIABLE})`;
    const endpoints = socketEndpoints(socket);
    socket.on("error", () => undefined);
    const reply = options.reply?.(max);
    if (lingering.size >= MAX_LINGERING_REFUSALS) {
      socket.end(reply ?? "", () => socket.destroy());
    } else {
      lingering.add(socket);
      socket.once("close", () => lingering.delete(socket));
      if (reply === undefined) socket.end();
      else socket.end(reply);
      // Reading what the client still sends keeps the kernel from answering it with a reset before it reads the reply.
      socket.resume();
      setTimeout(() => socket.destroy(), options.graceMs ?? REFUSAL_GRACE_MS).unref();
    }
    logger?.warn({ ...connectionFields(socket), outcome: "limited", detail }, `${service} connection refused`);
    events?.send(
      connectionEvent(service, "tcp", endpoints, {
        startedAt: Date.now(),
        durationMs: 0,
        bytesIn: 0,
        bytesOut: reply === undefined ? 0 : Buffer.byteLength(reply),
        outcome: "limited",
        detail,
      }),
    );
  };

  server.on("connection", function admit(this: Server, socket: Socket) {
    const address = normalizeAddress(socket.remoteAddress);
    const count = open.get(address) ?? 0;
    if (count >= max) return refuse(socket, address);
    open.set(address, count + 1);
    socket.once("close", () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
    for (const listener of listeners) listener.call(this, socket);
  });

  return {
    openFrom: (address) => open.get(normalizeAddress(address)) ?? 0,
    refused: () => refused,
  };
}
