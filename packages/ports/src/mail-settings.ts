import { envValue, readInteger, type Env } from "./env-values.js";
import { PortConfigError } from "./errors.js";

export interface SmtpUser {
  readonly username: string;
  readonly password: string;
}

export interface SmtpSettings {
  /** Largest message accepted, announced with SIZE (552 past it). */
  readonly maxMessageBytes: number;
  readonly maxRecipients: number;
  /** Sessions at once; one more gets 421. */
  readonly maxConnections: number;
  /** A client that sends nothing for this long gets 421. */
  readonly idleTimeoutMs: number;
  /** No session lasts longer than this, however busy. */
  readonly sessionTimeoutMs: number;
  /** Longest command line. */
  readonly maxLineBytes: number;
  /** Silence before the greeting, to catch clients that talk first. */
  readonly greetingDelayMs: number;
  /** Accounts AUTH checks; empty means any credentials pass (AUTH is always optional). */
  readonly users: readonly SmtpUser[];
}

/** Every SMTP default, in one place; each has a `PORTHOST_SMTP_*` variable. */
export const SMTP_DEFAULTS: SmtpSettings = Object.freeze({
  maxMessageBytes: 25 * 1024 * 1024, // 25 MiB
  maxRecipients: 1000, // recipients per message, as Postfix's smtpd_recipient_limit
  maxConnections: 200, // sessions at once: room for 100-session load tests
  idleTimeoutMs: 60_000, // 60 s
  sessionTimeoutMs: 600_000, // 10 min
  maxLineBytes: 4096, // bytes; RFC 5321 asks for at least 512 with extensions
  greetingDelayMs: 0, // ms: smtp-server waits 100 to catch early talkers, a local catcher greets at once
  users: Object.freeze([]), // any credentials pass
});

export interface MailSettings {
  /** Retention: the Maildir keeps at most this many messages, pruning the oldest. */
  readonly maxMessages: number;
  /** SMTP and POP3 session records kept beside the Maildir (PORTHOST_SESSIONS_MAX), the oldest pruned. */
  readonly maxSessions: number;
}

/** Every mail store default, in one place; each has a `PORTHOST_MAIL_*` or `PORTHOST_SESSIONS_*` variable. */
export const MAIL_DEFAULTS: MailSettings = Object.freeze({
  maxMessages: 5000, // messages kept before the oldest are pruned
  maxSessions: 1000, // session records kept before the oldest are pruned
});

/** `user:password` pairs separated by commas or whitespace; a password may contain ':'. */
export function parseSmtpUsers(variable: string, raw: string | undefined): SmtpUser[] {
  if (raw === undefined) return [];
  const users: SmtpUser[] = [];
  for (const pair of raw.split(/[\s,]+/).filter((p) => p !== "")) {
    const colon = pair.indexOf(":");
    if (colon <= 0 || colon === pair.length - 1) {
      throw new PortConfigError(
        "PORTHOST_ERR_BAD_VALUE",
        `${variable} has ${JSON.stringify(pair)}: write user:password pairs separated by commas (alice:secret,bob:hunter2)`,
        variable,
      );
    }
    users.push(Object.freeze({ username: pair.slice(0, colon), password: pair.slice(colon + 1) }));
  }
  return users;
}

export function readSmtpSettings(env: Env): SmtpSettings {
  const ms = (variable: string, fallback: number, min: number, max: number): number =>
    readInteger(env, variable, fallback, { min, max, unit: "ms" });
  return Object.freeze({
    maxMessageBytes: readInteger(env, "PORTHOST_SMTP_MAX_MESSAGE_BYTES", SMTP_DEFAULTS.maxMessageBytes, {
      min: 1024,
      max: 1024 * 1024 * 1024,
      unit: "bytes",
    }),
    maxRecipients: readInteger(env, "PORTHOST_SMTP_MAX_RECIPIENTS", SMTP_DEFAULTS.maxRecipients, {
      min: 1,
      max: 100_000,
      unit: "recipients",
    }),
    maxConnections: readInteger(env, "PORTHOST_SMTP_MAX_CONNECTIONS", SMTP_DEFAULTS.maxConnections, {
      min: 1,
      max: 100_000,
      unit: "connections",
    }),
    idleTimeoutMs: ms("PORTHOST_SMTP_IDLE_TIMEOUT_MS", SMTP_DEFAULTS.idleTimeoutMs, 100, 3_600_000),
    sessionTimeoutMs: ms("PORTHOST_SMTP_SESSION_TIMEOUT_MS", SMTP_DEFAULTS.sessionTimeoutMs, 100, 86_400_000),
    maxLineBytes: readInteger(env, "PORTHOST_SMTP_MAX_LINE_BYTES", SMTP_DEFAULTS.maxLineBytes, {
      min: 512,
      max: 1024 * 1024,
      unit: "bytes",
    }),
    greetingDelayMs: ms("PORTHOST_SMTP_GREETING_DELAY_MS", SMTP_DEFAULTS.greetingDelayMs, 0, 10_000),
    users: Object.freeze(parseSmtpUsers("PORTHOST_SMTP_USERS", envValue(env, "PORTHOST_SMTP_USERS"))),
  });
}

export function readMailSettings(env: Env): MailSettings {
  return Object.freeze({
    maxMessages: readInteger(env, "PORTHOST_MAIL_MAX", MAIL_DEFAULTS.maxMessages, {
      min: 1,
      max: 10_000_000,
      unit: "messages",
    }),
    maxSessions: readInteger(env, "PORTHOST_SESSIONS_MAX", MAIL_DEFAULTS.maxSessions, {
      min: 1,
      max: 1_000_000,
      unit: "sessions",
    }),
  });
}
