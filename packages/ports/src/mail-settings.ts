import { readFileSync } from "node:fs";
import path from "node:path";
import { envValue, readInteger, type Env } from "./env-values.js";
import { PortConfigError } from "./errors.js";

/** Largest message accepted, announced with SIZE. */
export const DEFAULT_SMTP_MAX_MESSAGE_BYTES = 25 * 1024 * 1024; // 25 MiB
/** Recipients per message, as Postfix's smtpd_recipient_limit. */
export const DEFAULT_SMTP_MAX_RECIPIENTS = 1000;
/** Concurrent SMTP connections; above it a client gets 421. Room for 100-session load tests. */
export const DEFAULT_SMTP_MAX_CONNECTIONS = 200;
/** A client that sends nothing for this long gets 421. */
export const DEFAULT_SMTP_IDLE_TIMEOUT_MS = 60_000; // 60 s
/** No session lasts longer than this, however busy. */
export const DEFAULT_SMTP_SESSION_TIMEOUT_MS = 600_000; // 10 min
/** Longest command line (RFC 5321 asks for at least 512 with extensions). */
export const DEFAULT_SMTP_MAX_LINE_BYTES = 4096;
/** smtp-server waits 100 ms to catch early talkers; a local catcher greets at once. */
export const DEFAULT_SMTP_GREETING_DELAY_MS = 0;
/** How many messages the Maildir keeps before the oldest are pruned. */
export const DEFAULT_MAIL_MAX = 5000;

export interface SmtpUser {
  readonly username: string;
  readonly password: string;
}

export interface TlsFiles {
  /** PEM certificate chain file (PORTHOST_TLS_CERT). */
  readonly certFile: string;
  /** PEM private key file (PORTHOST_TLS_KEY). */
  readonly keyFile: string;
}

export interface SmtpSettings {
  readonly maxMessageBytes: number;
  readonly maxRecipients: number;
  readonly maxConnections: number;
  readonly idleTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly maxLineBytes: number;
  readonly greetingDelayMs: number;
  /** Accounts AUTH checks; empty means any credentials pass (AUTH is always optional). */
  readonly users: readonly SmtpUser[];
  /** STARTTLS is offered only when both files are set. */
  readonly tls: TlsFiles | undefined;
}

export interface MailSettings {
  /** Retention: the Maildir keeps at most this many messages, pruning the oldest. */
  readonly maxMessages: number;
}

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

/** `PORTHOST_TLS_CERT` and `PORTHOST_TLS_KEY`: both or neither. */
export function readTlsFiles(env: Env, cwd: string): TlsFiles | undefined {
  const cert = envValue(env, "PORTHOST_TLS_CERT");
  const key = envValue(env, "PORTHOST_TLS_KEY");
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    const missing = cert === undefined ? "PORTHOST_TLS_CERT" : "PORTHOST_TLS_KEY";
    throw new PortConfigError(
      "PORTHOST_ERR_BAD_VALUE",
      `${missing} is not set: STARTTLS and STLS need both PORTHOST_TLS_CERT and PORTHOST_TLS_KEY (PEM files)`,
      missing,
    );
  }
  return Object.freeze({ certFile: path.resolve(cwd, cert), keyFile: path.resolve(cwd, key) });
}

export function readSmtpSettings(env: Env, cwd: string): SmtpSettings {
  const ms = (variable: string, fallback: number, min: number, max: number): number =>
    readInteger(env, variable, fallback, { min, max, unit: "ms" });
  return Object.freeze({
    maxMessageBytes: readInteger(env, "PORTHOST_SMTP_MAX_MESSAGE_BYTES", DEFAULT_SMTP_MAX_MESSAGE_BYTES, {
      min: 1024,
      max: 1024 * 1024 * 1024,
      unit: "bytes",
    }),
    maxRecipients: readInteger(env, "PORTHOST_SMTP_MAX_RECIPIENTS", DEFAULT_SMTP_MAX_RECIPIENTS, {
      min: 1,
      max: 100_000,
      unit: "recipients",
    }),
    maxConnections: readInteger(env, "PORTHOST_SMTP_MAX_CONNECTIONS", DEFAULT_SMTP_MAX_CONNECTIONS, {
      min: 1,
      max: 100_000,
      unit: "connections",
    }),
    idleTimeoutMs: ms("PORTHOST_SMTP_IDLE_TIMEOUT_MS", DEFAULT_SMTP_IDLE_TIMEOUT_MS, 100, 3_600_000),
    sessionTimeoutMs: ms("PORTHOST_SMTP_SESSION_TIMEOUT_MS", DEFAULT_SMTP_SESSION_TIMEOUT_MS, 100, 86_400_000),
    maxLineBytes: readInteger(env, "PORTHOST_SMTP_MAX_LINE_BYTES", DEFAULT_SMTP_MAX_LINE_BYTES, {
      min: 512,
      max: 1024 * 1024,
      unit: "bytes",
    }),
    greetingDelayMs: ms("PORTHOST_SMTP_GREETING_DELAY_MS", DEFAULT_SMTP_GREETING_DELAY_MS, 0, 10_000),
    users: Object.freeze(parseSmtpUsers("PORTHOST_SMTP_USERS", envValue(env, "PORTHOST_SMTP_USERS"))),
    tls: readTlsFiles(env, cwd),
  });
}

export function readMailSettings(env: Env): MailSettings {
  return Object.freeze({
    maxMessages: readInteger(env, "PORTHOST_MAIL_MAX", DEFAULT_MAIL_MAX, {
      min: 1,
      max: 10_000_000,
      unit: "messages",
    }),
  });
}

export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** Reads the PEM files, or stops with one line naming the variable whose file is unreadable. */
export function readTlsMaterial(files: TlsFiles): TlsMaterial {
  const read = (variable: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      const code = (error as { code?: string }).code ?? "unreadable";
      throw new PortConfigError("PORTHOST_ERR_BAD_VALUE", `${variable}=${file} cannot be read (${code})`, variable);
    }
  };
  return { cert: read("PORTHOST_TLS_CERT", files.certFile), key: read("PORTHOST_TLS_KEY", files.keyFile) };
}
