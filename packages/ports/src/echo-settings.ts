import { readInteger, type Env } from "./env-values.js";

/** Limits of a TCP service that reads from strangers (echo and discard). */
export interface StreamLimits {
  /** Open connections at once; one more is accepted and closed at once, and counted. */
  readonly maxConnections: number;
  /** A connection with no traffic either way for this long is closed. */
  readonly idleTimeoutMs: number;
}

export interface EchoSettings extends StreamLimits {
  /** Per-connection buffer (bytes) before echo stops reading from a client that does not read. */
  readonly bufferBytes: number;
  /** A larger UDP datagram gets no reply. */
  readonly maxDatagramBytes: number;
  /** UDP replies per second to one source address (token bucket refill). */
  readonly udpRepliesPerSecond: number;
  /** UDP replies one source address may get in a burst (token bucket size). */
  readonly udpBurst: number;
}

export type DiscardSettings = StreamLimits;

export const DEFAULT_MAX_CONNECTIONS = 100; // connections per service
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000; // 30 s
export const DEFAULT_ECHO_BUFFER_BYTES = 65_536; // 64 KiB
/** 1500-byte Ethernet MTU minus IPv4 and UDP headers: a reply never needs fragmenting. */
export const DEFAULT_MAX_DATAGRAM_BYTES = 1_472;
export const DEFAULT_UDP_REPLIES_PER_SECOND = 50; // per source address
export const DEFAULT_UDP_BURST = 100; // replies
/** The largest UDP payload over IPv4: 65535 minus the IPv4 and UDP headers. */
export const MAX_UDP_PAYLOAD_BYTES = 65_507;

const IDLE_TIMEOUT_BOUNDS = { min: 100, max: 86_400_000, unit: "ms" } as const; // 0.1 s to 1 day
const MAX_CONNECTIONS_BOUNDS = { min: 1, max: 100_000, unit: "connections" } as const;

function readStreamLimits(env: Env, service: "ECHO" | "DISCARD"): StreamLimits {
  return {
    maxConnections: readInteger(
      env,
      `PORTHOST_${service}_MAX_CONNECTIONS`,
      DEFAULT_MAX_CONNECTIONS,
      MAX_CONNECTIONS_BOUNDS,
    ),
    idleTimeoutMs: readInteger(
      env,
      `PORTHOST_${service}_IDLE_TIMEOUT_MS`,
      DEFAULT_IDLE_TIMEOUT_MS,
      IDLE_TIMEOUT_BOUNDS,
    ),
  };
}

/** The echo service's limits from `PORTHOST_ECHO_*`; a bad value throws one line naming the variable. */
export function readEchoSettings(env: Env): EchoSettings {
  return Object.freeze({
    ...readStreamLimits(env, "ECHO"),
    bufferBytes: readInteger(env, "PORTHOST_ECHO_BUFFER_BYTES", DEFAULT_ECHO_BUFFER_BYTES, {
      min: 1_024,
      max: 16_777_216, // 16 MiB
      unit: "bytes",
    }),
    maxDatagramBytes: readInteger(env, "PORTHOST_ECHO_MAX_DATAGRAM_BYTES", DEFAULT_MAX_DATAGRAM_BYTES, {
      min: 1,
      max: MAX_UDP_PAYLOAD_BYTES,
      unit: "bytes",
    }),
    udpRepliesPerSecond: readInteger(env, "PORTHOST_ECHO_UDP_RATE", DEFAULT_UDP_REPLIES_PER_SECOND, {
      min: 1,
      max: 10_000_000,
      unit: "replies per second",
    }),
    udpBurst: readInteger(env, "PORTHOST_ECHO_UDP_BURST", DEFAULT_UDP_BURST, {
      min: 1,
      max: 10_000_000,
      unit: "replies",
    }),
  });
}

/** The discard service's limits from `PORTHOST_DISCARD_*`. */
export function readDiscardSettings(env: Env): DiscardSettings {
  return Object.freeze(readStreamLimits(env, "DISCARD"));
}
