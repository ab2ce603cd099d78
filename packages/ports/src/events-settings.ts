import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { envValue, type Env } from "./env-values.js";
import { PortConfigError } from "./errors.js";

export interface EventsSettings {
  /**
   * The bearer token services send with connection events and the web service expects.
   * Undefined: services send no events rather than unauthenticated ones.
   */
  readonly token: string | undefined;
  /**
   * `PORTHOST_EVENTS_TOKEN_FILE`: where the token is kept when no token is given, so that
   * separate containers share one without anyone choosing it (the web service creates it).
   */
  readonly tokenFile: string | undefined;
}

export const EVENTS_TOKEN_VARIABLE = "PORTHOST_EVENTS_TOKEN";
/** Short enough for a header, long enough that guessing it is hopeless. */
export const EVENTS_TOKEN_MIN_CHARS = 16;
export const EVENTS_TOKEN_MAX_CHARS = 256;
export const EVENTS_TOKEN_FILE_VARIABLE = "PORTHOST_EVENTS_TOKEN_FILE";
/** A new token: 24 random bytes as hex, as `npm start` makes one. */
export function newEventsToken(): string {
  return randomBytes(24).toString("hex");
}

/** Checks a token from the variable or the file; the error names the variable and where it came from. */
function checkToken(token: string, variable: string, source: string = variable): string {
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new PortConfigError(
      "PORTHOST_ERR_BAD_VALUE",
      `${source} must be printable ASCII without spaces (for example the output of: openssl rand -hex 24)`,
      variable,
    );
  }
  if (token.length < EVENTS_TOKEN_MIN_CHARS || token.length > EVENTS_TOKEN_MAX_CHARS) {
    throw new PortConfigError(
      "PORTHOST_ERR_BAD_VALUE",
      `${source} is ${token.length} characters: use ${EVENTS_TOKEN_MIN_CHARS}-${EVENTS_TOKEN_MAX_CHARS} (for example the output of: openssl rand -hex 24)`,
      variable,
    );
  }
  return token;
}

/** `PORTHOST_EVENTS_TOKEN` (printable ASCII without spaces, as an HTTP bearer token must be) and `_FILE`. */
export function readEventsSettings(env: Env, cwd: string = process.cwd()): EventsSettings {
  const token = envValue(env, EVENTS_TOKEN_VARIABLE);
  const file = envValue(env, EVENTS_TOKEN_FILE_VARIABLE);
  const tokenFile = file === undefined ? undefined : path.resolve(cwd, file);
  return Object.freeze({
    token: token === undefined ? undefined : checkToken(token, EVENTS_TOKEN_VARIABLE),
    tokenFile,
  });
}

function readTokenFile(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8").trim();
  } catch (error) {
    const code = (error as { code?: string }).code ?? "unreadable";
    if (code === "ENOENT") return undefined;
    throw new PortConfigError(
      "PORTHOST_ERR_BAD_VALUE",
      `${EVENTS_TOKEN_FILE_VARIABLE}=${file} cannot be read (${code})`,
      EVENTS_TOKEN_FILE_VARIABLE,
    );
  }
}

/**
 * The token this process uses: the variable's, else the file's. The receiver (`create`) writes a
 * new random one to the file when there is none yet (readable by its owner only); a sender
 * that finds no file sends no events.
 */
export function settleEventsToken(settings: EventsSettings, options: { create: boolean }): EventsSettings {
  if (settings.token !== undefined || settings.tokenFile === undefined) return settings;
  const file = settings.tokenFile;
  let token = readTokenFile(file);
  if (token === undefined && options.create) {
    try {
      writeFileSync(file, `${newEventsToken()}\n`, { flag: "wx", mode: 0o600 });
    } catch (error) {
      const code = (error as { code?: string }).code ?? "unwritable";
      // EEXIST: another process made it first; read theirs.
      if (code !== "EEXIST") {
        throw new PortConfigError(
          "PORTHOST_ERR_BAD_VALUE",
          `${EVENTS_TOKEN_FILE_VARIABLE}=${file} cannot be created (${code})`,
          EVENTS_TOKEN_FILE_VARIABLE,
        );
      }
    }
    token = readTokenFile(file);
  }
  if (token === undefined) return settings;
  return Object.freeze({
    ...settings,
    token: checkToken(token, EVENTS_TOKEN_FILE_VARIABLE, `the token in ${EVENTS_TOKEN_FILE_VARIABLE}=${file}`),
  });
}
