import { envValue, readChoice, readInteger, type Env } from "./env-values.js";
import { PortConfigError } from "./errors.js";
import { parseSmtpUsers, type SmtpUser } from "./mail-settings.js";

/** `shared`: one catch-all maildrop, every message, any USER. `recipient`: USER is an address, its mail only. */
export const POP3_MAILBOX_MODES = ["shared", "recipient"] as const;
export type Pop3MailboxMode = (typeof POP3_MAILBOX_MODES)[number];

/** A login POP3 accepts: USER and PASS, or APOP with the same password. */
export type Pop3User = SmtpUser;

export interface Pop3Settings {
  readonly mailbox: Pop3MailboxMode;
  /** The only logins accepted; empty means any user name and password pass. */
  readonly users: readonly Pop3User[];
  /** Sessions at once; one more gets -ERR and is closed. */
  readonly maxConnections: number;
  /** Silence before a session is closed (nothing is deleted then). */
  readonly idleTimeoutMs: number;
  /** Longest command line. */
  readonly maxLineBytes: number;
}

/** Every POP3 default, in one place; each has a `PORTHOST_POP3_*` variable. */
export const POP3_DEFAULTS: Pop3Settings = Object.freeze({
  mailbox: "shared", // one catch-all maildrop
  users: Object.freeze([]), // any user name and password pass
  maxConnections: 100, // sessions at once
  idleTimeoutMs: 600_000, // 10 min: RFC 1939's autologout timer is at least 10 minutes
  maxLineBytes: 1024, // bytes; RFC 2449 allows 255, an address alone can be 254
});

/** POP3 settings from `PORTHOST_POP3_*`; a bad value throws one line naming the variable. */
export function readPop3Settings(env: Env): Pop3Settings {
  const mailbox = readChoice(env, "PORTHOST_POP3_MAILBOX", POP3_DEFAULTS.mailbox, POP3_MAILBOX_MODES);
  const users = parseSmtpUsers("PORTHOST_POP3_USERS", envValue(env, "PORTHOST_POP3_USERS"));
  const notAddress = users.find((user) => !/^[^@\s]+@[^@\s]+$/.test(user.username));
  if (mailbox === "recipient" && notAddress) {
    throw new PortConfigError(
      "PORTHOST_ERR_BAD_VALUE",
      `PORTHOST_POP3_USERS has user ${JSON.stringify(notAddress.username)}, but PORTHOST_POP3_MAILBOX=recipient needs addresses (bob@example.test:secret)`,
      "PORTHOST_POP3_USERS",
    );
  }
  return Object.freeze({
    mailbox,
    users: Object.freeze(users),
    maxConnections: readInteger(env, "PORTHOST_POP3_MAX_CONNECTIONS", POP3_DEFAULTS.maxConnections, {
      min: 1,
      max: 100_000,
      unit: "connections",
    }),
    idleTimeoutMs: readInteger(env, "PORTHOST_POP3_IDLE_TIMEOUT_MS", POP3_DEFAULTS.idleTimeoutMs, {
      min: 100,
      max: 86_400_000,
      unit: "ms",
    }),
    maxLineBytes: readInteger(env, "PORTHOST_POP3_MAX_LINE_BYTES", POP3_DEFAULTS.maxLineBytes, {
      min: 255,
      max: 65_536,
      unit: "bytes",
    }),
  });
}
