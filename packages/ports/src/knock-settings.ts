import { envValue, readInteger, type Env } from "./env-values.js";
import { PortConfigError } from "./errors.js";
import type { Transport } from "./services.js";

/** One knock: a port number on one transport. */
export interface KnockStep {
  readonly port: number;
  readonly transport: Transport;
}

export interface KnockSettings {
  /** Time allowed from the first knock to the last; a later knock starts the sequence again. */
  readonly timeoutMs: number;
  /** How long the vault serves an address after its last knock (or its accepted SPA packet). */
  readonly windowMs: number;
  /** The single-packet authorization key (`PORTHOST_KNOCK_KEY`); undefined: SPA is off. */
  readonly spaKey: string | undefined;
}

export const KNOCK_SEQUENCE_VARIABLE = "PORTHOST_KNOCK_SEQUENCE";
export const KNOCK_KEY_VARIABLE = "PORTHOST_KNOCK_KEY";
/** An HMAC-SHA256 key shorter than this is guessable; `openssl rand -hex 32` gives 64. */
export const KNOCK_KEY_MIN_CHARS = 16;
export const KNOCK_KEY_MAX_CHARS = 256;
/** A sequence of one knock is a port scan away from open; more than 16 nobody types. */
export const KNOCK_SEQUENCE_STEPS = { min: 2, max: 16 } as const;

/** Every knock default, in one place; each has a `PORTHOST_KNOCK_*` variable. */
export const KNOCK_DEFAULTS: KnockSettings = Object.freeze({
  timeoutMs: 10_000, // 10 s, knockd's seq_timeout in its sample knockd.conf is 5-15 s
  windowMs: 30_000, // 30 s
  spaKey: undefined, // SPA off until a key is shared
});

/**
 * `PORTHOST_KNOCK_SEQUENCE`: ports as the `knock` client writes them, `9022:udp,9022:tcp,9021:udp`
 * (commas or spaces; a port without `:udp` is TCP, as for `knock`). Each is a real port: no offset.
 */
export function parseKnockSequence(variable: string, raw: string): KnockStep[] {
  const parts = raw.trim().split(/[\s,]+/);
  const steps = parts.map((part): KnockStep => {
    const match = /^(\d{1,5})(?::(tcp|udp))?$/i.exec(part);
    const port = match ? Number(match[1]) : NaN;
    if (!match || port < 1 || port > 65535) {
      throw new PortConfigError(
        "PORTHOST_ERR_BAD_VALUE",
        `${variable} has ${JSON.stringify(part)}: write each knock as port:udp or port:tcp (1-65535), e.g. 9022:udp,9022:tcp,9021:udp`,
        variable,
      );
    }
    return { port, transport: (match[2]?.toLowerCase() ?? "tcp") as Transport };
  });
  const { min, max } = KNOCK_SEQUENCE_STEPS;
  if (steps.length < min || steps.length > max) {
    throw new PortConfigError(
      "PORTHOST_ERR_BAD_VALUE",
      `${variable} has ${steps.length} knock${steps.length === 1 ? "" : "s"}: use ${min}-${max}`,
      variable,
    );
  }
  const seen = new Set<string>();
  for (const step of steps) {
    const key = `${step.port}/${step.transport}`;
    if (seen.has(key)) {
      // A repeated endpoint would make "wrong port resets" ambiguous: is it the next knock or a retry?
      throw new PortConfigError(
        "PORTHOST_ERR_BAD_VALUE",
        `${variable} names ${key} twice: each knock must be a different port or transport`,
        variable,
      );
    }
    seen.add(key);
  }
  return steps;
}

function readKnockKey(env: Env): string | undefined {
  const key = envValue(env, KNOCK_KEY_VARIABLE);
  if (key === undefined) return undefined;
  if (key.length < KNOCK_KEY_MIN_CHARS || key.length > KNOCK_KEY_MAX_CHARS) {
    throw new PortConfigError(
      "PORTHOST_ERR_BAD_VALUE",
      `${KNOCK_KEY_VARIABLE} is ${key.length} characters: use ${KNOCK_KEY_MIN_CHARS}-${KNOCK_KEY_MAX_CHARS} (for example the output of: openssl rand -hex 32)`,
      KNOCK_KEY_VARIABLE,
    );
  }
  return key;
}

/** The knock service's timing and SPA key from `PORTHOST_KNOCK_*`; a bad value throws one line naming the variable. */
export function readKnockSettings(env: Env): KnockSettings {
  return Object.freeze({
    timeoutMs: readInteger(env, "PORTHOST_KNOCK_TIMEOUT_MS", KNOCK_DEFAULTS.timeoutMs, {
      min: 100,
      max: 3_600_000, // 1 h
      unit: "ms",
    }),
    windowMs: readInteger(env, "PORTHOST_KNOCK_WINDOW_MS", KNOCK_DEFAULTS.windowMs, {
      min: 100,
      max: 86_400_000, // 1 day
      unit: "ms",
    }),
    spaKey: readKnockKey(env),
  });
}
