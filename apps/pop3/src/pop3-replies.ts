/** Every -ERR porthost's POP3 gives, one catalogue, each with a stable code and, where RFC 2449/3206 define one, a response code. */

export type Pop3ReplyCode =
  | "POP3_ERR_EMPTY_COMMAND"
  | "POP3_ERR_UNKNOWN_COMMAND"
  | "POP3_ERR_LINE_TOO_LONG"
  | "POP3_ERR_NOT_LOGGED_IN"
  | "POP3_ERR_LOGGED_IN"
  | "POP3_ERR_ARGUMENTS"
  | "POP3_ERR_NOT_A_NUMBER"
  | "POP3_ERR_NO_SUCH_MESSAGE"
  | "POP3_ERR_DELETED"
  | "POP3_ERR_PASS_WITHOUT_USER"
  | "POP3_ERR_NOT_AN_ADDRESS"
  | "POP3_ERR_BAD_CREDENTIALS"
  | "POP3_ERR_IN_USE"
  | "POP3_ERR_MAILDROP_UNREADABLE"
  | "POP3_ERR_MESSAGE_GONE"
  | "POP3_ERR_NO_TLS"
  | "POP3_ERR_ALREADY_TLS"
  | "POP3_ERR_TOO_MANY_CONNECTIONS"
  | "POP3_ERR_IDLE"
  | "POP3_ERR_SHUTTING_DOWN"
  | "POP3_ERR_UPDATE_FAILED";

/** RFC 2449 IN-USE and SYS/*, RFC 3206 AUTH: machine-readable reasons in brackets. */
export type RespCode = "IN-USE" | "AUTH" | "SYS/TEMP" | "SYS/PERM";

export class Pop3Reply {
  constructor(
    readonly code: Pop3ReplyCode,
    readonly text: string,
    readonly respCode?: RespCode,
  ) {}

  /** The reply line, without its CRLF. */
  get line(): string {
    return `-ERR ${this.respCode ? `[${this.respCode}] ` : ""}${this.text}`;
  }
}

/** What a client sent, safe to echo back: printable ASCII, at most 40 characters. */
export function printable(value: string): string {
  const shown = value.length > 40 ? `${value.slice(0, 40)}...` : value;
  return JSON.stringify(shown.replace(/[^\x20-\x7e]/g, "?"));
}

const LOGIN = "USER and PASS, or APOP";

export const pop3Replies = {
  emptyCommand: () => new Pop3Reply("POP3_ERR_EMPTY_COMMAND", "empty command; try CAPA for the list"),
  unknownCommand: (keyword: string) =>
    new Pop3Reply("POP3_ERR_UNKNOWN_COMMAND", `unknown command ${printable(keyword)}; try CAPA for the list`),
  lineTooLong: (limit: number) =>
    new Pop3Reply(
      "POP3_ERR_LINE_TOO_LONG",
      `command line longer than ${limit} bytes (PORTHOST_POP3_MAX_LINE_BYTES); the line was dropped`,
    ),
  notLoggedIn: (keyword: string) =>
    new Pop3Reply("POP3_ERR_NOT_LOGGED_IN", `${keyword} is only valid after login (${LOGIN})`),
  loggedIn: (keyword: string) =>
    new Pop3Reply("POP3_ERR_LOGGED_IN", `${keyword} is only valid before login; this session is logged in`),
  /** `takes` says what is wrong in words: "no arguments", "a message number". */
  arguments: (keyword: string, takes: string) =>
    new Pop3Reply("POP3_ERR_ARGUMENTS", `${keyword} takes ${takes}: ${usageLine(keyword)}`),
  notANumber: (what: string, value: string) =>
    new Pop3Reply("POP3_ERR_NOT_A_NUMBER", `${printable(value)} is not ${what}`),
  noSuchMessage: (number: number, count: number) =>
    new Pop3Reply(
      "POP3_ERR_NO_SUCH_MESSAGE",
      count === 0
        ? `no message ${number}: the maildrop is empty`
        : `no message ${number}: the maildrop has 1 to ${count}`,
    ),
  deleted: (number: number) =>
    new Pop3Reply("POP3_ERR_DELETED", `message ${number} is marked deleted in this session (RSET unmarks it)`),
  passWithoutUser: () => new Pop3Reply("POP3_ERR_PASS_WITHOUT_USER", "PASS must follow USER"),
  notAnAddress: (name: string) =>
    new Pop3Reply(
      "POP3_ERR_NOT_AN_ADDRESS",
      `${printable(name)} is not an address: each recipient has its own maildrop here (PORTHOST_POP3_MAILBOX=recipient), so log in as the address`,
      "AUTH",
    ),
  badCredentials: () =>
    new Pop3Reply("POP3_ERR_BAD_CREDENTIALS", "invalid user name or password (PORTHOST_POP3_USERS)", "AUTH"),
  inUse: (maildrop: string) =>
    new Pop3Reply(
      "POP3_ERR_IN_USE",
      `maildrop ${printable(maildrop)} is locked by another POP3 session; try again once it has quit`,
      "IN-USE",
    ),
  maildropUnreadable: () =>
    new Pop3Reply("POP3_ERR_MAILDROP_UNREADABLE", "the maildrop could not be read; try again", "SYS/TEMP"),
  messageGone: (number: number) =>
    new Pop3Reply(
      "POP3_ERR_MESSAGE_GONE",
      `message ${number} was deleted by another program during this session`,
      "SYS/PERM",
    ),
  noTls: () => new Pop3Reply("POP3_ERR_NO_TLS", "STLS is not offered here: set PORTHOST_TLS_CERT and PORTHOST_TLS_KEY"),
  alreadyTls: () => new Pop3Reply("POP3_ERR_ALREADY_TLS", "this session is already over TLS"),
  tooManyConnections: (limit: number) =>
    new Pop3Reply(
      "POP3_ERR_TOO_MANY_CONNECTIONS",
      `too many connections (limit ${limit}, PORTHOST_POP3_MAX_CONNECTIONS); try again later`,
      "SYS/TEMP",
    ),
  idle: (limitMs: number) =>
    new Pop3Reply(
      "POP3_ERR_IDLE",
      `idle for ${limitMs} ms (PORTHOST_POP3_IDLE_TIMEOUT_MS), closing; nothing was deleted`,
      "SYS/TEMP",
    ),
  shuttingDown: () =>
    new Pop3Reply("POP3_ERR_SHUTTING_DOWN", "porthost is shutting down; nothing was deleted", "SYS/TEMP"),
  updateFailed: (failed: number) =>
    new Pop3Reply(
      "POP3_ERR_UPDATE_FAILED",
      `${failed} message(s) marked deleted could not be removed and remain in the maildrop`,
      "SYS/TEMP",
    ),
} as const;

/** How each command is written, for the arguments error. */
const USAGE: Readonly<Record<string, string>> = {
  USER: "<name>",
  PASS: "<password>",
  APOP: "<name> <md5 digest>",
  STAT: "",
  LIST: "[message]",
  RETR: "<message>",
  DELE: "<message>",
  NOOP: "",
  RSET: "",
  QUIT: "",
  TOP: "<message> <lines>",
  UIDL: "[message]",
  CAPA: "",
  STLS: "",
};

function usageLine(keyword: string): string {
  const usage = USAGE[keyword];
  return usage ? `${keyword} ${usage}` : keyword;
}
