import { readInteger, type Env } from "./env-values.js";

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
}

export const HTTP_DEFAULTS: HttpSettings = Object.freeze({
  maxBodyBytes: 1024 * 1024, // 1 MiB
  maxHeaderBytes: 16 * 1024, // 16 KiB
  headersTimeoutMs: 10_000, // 10 s
  requestTimeoutMs: 30_000, // 30 s
  keepAliveTimeoutMs: 5_000, // 5 s
  maxConnections: 1024,
});

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
  });
}
