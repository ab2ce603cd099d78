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

/** The largest UDP payload over IPv4: 65535 minus the IPv4 and UDP headers. */
export const MAX_UDP_PAYLOAD_BYTES = 65_507;

/** Every echo default, in one place; each has a `PORTHOST_ECHO_*` variable. */
export const ECHO_DEFAULTS: EchoSettings = Object.freeze({
  maxConnections: 100, // connections at once
  idleTimeoutMs: 30_000, // 30 s
  bufferBytes: 65_536, // 64 KiB per connection
  maxDatagramBytes: 1_472, // bytes: an Ethernet MTU (1500) less IPv4 and UDP headers, no fragments
  udpRepliesPerSecond: 50, // replies per second to one source address
  udpBurst: 100, // replies one source address may get at once
});

/** Every discard default, in one place; each has a `PORTHOST_DISCARD_*` variable. */
export const DISCARD_DEFAULTS: DiscardSettings = Object.freeze({
  maxConnections: 100, // connections at once
  idleTimeoutMs: 30_000, // 30 s
});

const IDLE_TIMEOUT_BOUNDS = { min: 100, max: 86_400_000, unit: "ms" } as const; // 0.1 s to 1 day
const MAX_CONNECTIONS_BOUNDS = { min: 1, max: 100_000, unit: "connections" } as const;

function readStreamLimits(env: Env, service: "ECHO" | "DISCARD", defaults: StreamLimits): StreamLimits {
  return {
    maxConnections: readInteger(
      env,
      `PORTHOST_${service}_MAX_CONNECTIONS`,
      defaults.maxConnections,
      MAX_CONNECTIONS_BOUNDS,
    ),
    idleTimeoutMs: readInteger(env, `PORTHOST_${service}_IDLE_TIMEOUT_MS`, defaults.idleTimeoutMs, IDLE_TIMEOUT_BOUNDS),
  };
}

/** The echo service's limits from `PORTHOST_ECHO_*`; a bad value throws one line naming the variable. */
export function readEchoSettings(env: Env): EchoSettings {
  return Object.freeze({
    ...readStreamLimits(env, "ECHO", ECHO_DEFAULTS),
    bufferBytes: readInteger(env, "PORTHOST_ECHO_BUFFER_BYTES", ECHO_DEFAULTS.bufferBytes, {
      min: 1_024,
      max: 16_777_216, // 16 MiB
      unit: "bytes",
    }),
    maxDatagramBytes: readInteger(env, "PORTHOST_ECHO_MAX_DATAGRAM_BYTES", ECHO_DEFAULTS.maxDatagramBytes, {
      min: 1,
      max: MAX_UDP_PAYLOAD_BYTES,
      unit: "bytes",
    }),
    udpRepliesPerSecond: readInteger(env, "PORTHOST_ECHO_UDP_RATE", ECHO_DEFAULTS.udpRepliesPerSecond, {
      min: 1,
      max: 10_000_000,
      unit: "replies per second",
    }),
    udpBurst: readInteger(env, "PORTHOST_ECHO_UDP_BURST", ECHO_DEFAULTS.udpBurst, {
      min: 1,
      max: 10_000_000,
      unit: "replies",
    }),
  });
}

/** The discard service's limits from `PORTHOST_DISCARD_*`. */
export function readDiscardSettings(env: Env): DiscardSettings {
  return Object.freeze(readStreamLimits(env, "DISCARD", DISCARD_DEFAULTS));
}
