import type { Env } from "./config.js";
import { envValue } from "./env-values.js";
import { PortConfigError } from "./errors.js";

export interface EventsSettings {
  /**
   * The bearer token services send with connection events and the web service expects.
   * Undefined: services send no events rather than unauthenticated ones.
   */
  readonly token: string | undefined;
}

export const EVENTS_TOKEN_VARIABLE = "PORTHOST_EVENTS_TOKEN";
/** Short enough for a header, long enough that guessing it is hopeless. */
export const EVENTS_TOKEN_MIN_CHARS = 16;
export const EVENTS_TOKEN_MAX_CHARS = 256;

/** `PORTHOST_EVENTS_TOKEN`: printable ASCII without spaces, as an HTTP bearer token must be. */
export function readEventsSettings(env: Env): EventsSettings {
  const token = envValue(env, EVENTS_TOKEN_VARIABLE);
  if (token === undefined) return Object.freeze({ token: undefined });
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new PortConfigError(
      "PORTHOST_ERR_BAD_VALUE",
      `${EVENTS_TOKEN_VARIABLE} must be printable ASCII without spaces (for example the output of: openssl rand -hex 24)`,
      EVENTS_TOKEN_VARIABLE,
    );
  }
  if (token.length < EVENTS_TOKEN_MIN_CHARS || token.length > EVENTS_TOKEN_MAX_CHARS) {
    throw new PortConfigError(
      "PORTHOST_ERR_BAD_VALUE",
      `${EVENTS_TOKEN_VARIABLE} is ${token.length} characters: use ${EVENTS_TOKEN_MIN_CHARS}-${EVENTS_TOKEN_MAX_CHARS} (for example the output of: openssl rand -hex 24)`,
      EVENTS_TOKEN_VARIABLE,
    );
  }
  return Object.freeze({ token });
}
