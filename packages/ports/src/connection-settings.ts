import { readInteger, type Env } from "./env-values.js";

/** Limits every TCP service shares (web, smtp, pop3, echo, discard). */
export interface ConnectionSettings {
  /**
   * Connections one client address may hold open at once on one service; one more is told so
   * in the protocol's words (HTTP 503, SMTP 421, POP3 -ERR) or closed, so that one address cannot
   * take every connection a service has.
   */
  readonly maxPerAddress: number;
}

export const CONNECTION_DEFAULTS: ConnectionSettings = Object.freeze({
  // Above the 100 parallel sessions of bench:smtp and wrk's 50, well under HTTP's 1024.
  maxPerAddress: 128,
});

export function readConnectionSettings(env: Env): ConnectionSettings {
  return Object.freeze({
    maxPerAddress: readInteger(env, "PORTHOST_MAX_CONNECTIONS_PER_ADDRESS", CONNECTION_DEFAULTS.maxPerAddress, {
      min: 1,
      max: 1_000_000,
    }),
  });
}
