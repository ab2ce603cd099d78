import { envValue, readInteger, type Env } from "./env-values.js";
import { PortConfigError } from "./errors.js";

/** Limits of the HTTP service, each with a default and a variable. */
export interface HttpSettings {
  /** Largest request body accepted (413 past it). */
  readonly maxBodyBytes: number;
  /** Largest request head (431 past it). */
  readonly maxHeaderBytes: number;
  /** Time for a client to send the whole request head: slowloris defence (408). */
  readonly headersTimeoutMs: number;
  /** Time for a client to send the whole request (408). */
  readonly requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  readonly keepAliveTimeoutMs: number;
  /** Open connections at once; more are closed on accept. */
  readonly maxConnections: number;
  /** Open event streams (/api/events/stream) at once; one more is answered 503. */
  readonly maxStreams: number;
  /** A comment line on every event stream this often, so proxies and dead peers are noticed. */
  readonly streamHeartbeatMs: number;
  /** An event stream with no event for this long is ended (EventSource reconnects by itself). */
  readonly streamIdleMs: number;
  /** An event stream is ended after this long whatever it carries (EventSource reconnects by itself). */
  readonly streamLifetimeMs: number;
  /**
   * Host names besides localhost, IP addresses and porthost's own names that requests may name
   * in Host (DNS rebinding defence): `name`, `.domain` (it and every name under it) or `*` (any).
   */
  readonly allowedHosts: readonly string[];
}

export const HTTP_DEFAULTS: HttpSettings = Object.freeze({
  maxBodyBytes: 1024 * 1024, // 1 MiB
  maxHeaderBytes: 16 * 1024, // 16 KiB
  headersTimeoutMs: 10_000, // 10 s
  requestTimeoutMs: 30_000, // 30 s
  keepAliveTimeoutMs: 5_000, // 5 s
  maxConnections: 1024,
  maxStreams: 100, // event streams at once: a browser tab holds one
  streamHeartbeatMs: 15_000, // 15 s
  streamIdleMs: 600_000, // 10 min
  streamLifetimeMs: 3_600_000, // 1 h
  allowedHosts: Object.freeze([]),
});

const HOST_PATTERN = /^\.?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** `PORTHOST_HTTP_ALLOWED_HOSTS`: names, `.domain` for a domain and its names, or `*`; comma separated. */
function readAllowedHosts(env: Env): readonly string[] {
  const variable = "PORTHOST_HTTP_ALLOWED_HOSTS";
  const raw = envValue(env, variable);
  if (raw === undefined) return HTTP_DEFAULTS.allowedHosts;
  const hosts = raw
    .split(",")
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== "");
  for (const host of hosts) {
    if (host !== "*" && !HOST_PATTERN.test(host)) {
      throw new PortConfigError(
        "PORTHOST_ERR_BAD_VALUE",
        `${variable}=${JSON.stringify(raw)}: ${JSON.stringify(host)} is not a host name; list names like porthost.lan, .example.test (a domain and every name under it) or *, comma separated, without ports`,
        variable,
      );
    }
  }
  return Object.freeze(hosts);
}

const MS_BOUNDS = { min: 100, max: 3_600_000, unit: "ms" } as const;

export function readHttpSettings(env: Env): HttpSettings {
  return Object.freeze({
    maxBodyBytes: readInteger(env, "PORTHOST_HTTP_MAX_BODY_BYTES", HTTP_DEFAULTS.maxBodyBytes, {
      min: 0,
      max: 1024 ** 3,
      unit: "bytes",
    }),
    maxHeaderBytes: readInteger(env, "PORTHOST_HTTP_MAX_HEADER_BYTES", HTTP_DEFAULTS.maxHeaderBytes, {
      min: 1024,
      max: 1024 * 1024,
      unit: "bytes",
    }),
    headersTimeoutMs: readInteger(env, "PORTHOST_HTTP_HEADERS_TIMEOUT_MS", HTTP_DEFAULTS.headersTimeoutMs, MS_BOUNDS),
    requestTimeoutMs: readInteger(env, "PORTHOST_HTTP_REQUEST_TIMEOUT_MS", HTTP_DEFAULTS.requestTimeoutMs, MS_BOUNDS),
    keepAliveTimeoutMs: readInteger(
      env,
      "PORTHOST_HTTP_KEEPALIVE_TIMEOUT_MS",
      HTTP_DEFAULTS.keepAliveTimeoutMs,
      MS_BOUNDS,
    ),
    maxConnections: readInteger(env, "PORTHOST_HTTP_MAX_CONNECTIONS", HTTP_DEFAULTS.maxConnections, {
      min: 1,
      max: 1_000_000,
    }),
    maxStreams: readInteger(env, "PORTHOST_HTTP_MAX_STREAMS", HTTP_DEFAULTS.maxStreams, { min: 1, max: 100_000 }),
    streamHeartbeatMs: readInteger(
      env,
      "PORTHOST_HTTP_STREAM_HEARTBEAT_MS",
      HTTP_DEFAULTS.streamHeartbeatMs,
      MS_BOUNDS,
    ),
    streamIdleMs: readInteger(env, "PORTHOST_HTTP_STREAM_IDLE_MS", HTTP_DEFAULTS.streamIdleMs, MS_BOUNDS),
    streamLifetimeMs: readInteger(env, "PORTHOST_HTTP_STREAM_LIFETIME_MS", HTTP_DEFAULTS.streamLifetimeMs, {
      ...MS_BOUNDS,
      max: 24 * 3_600_000,
    }),
    allowedHosts: readAllowedHosts(env),
  });
}
