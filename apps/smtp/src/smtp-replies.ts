/** SMTP replies porthost gives, one catalogue, each with its code (RFC 5321) and enhanced code (RFC 3463). */
export class SmtpReply extends Error {
  constructor(
    readonly responseCode: number,
    /** The enhanced status code, also the first word of `message` (smtp-server sends it as written). */
    readonly enhancedCode: string,
    text: string,
  ) {
    super(`${enhancedCode} ${text}`);
  }
}

export const smtpReplies = {
  messageTooBig: (limitBytes: number) =>
    new SmtpReply(552, "5.3.4", `Message too big: the limit is ${limitBytes} bytes (PORTHOST_SMTP_MAX_MESSAGE_BYTES)`),
  localError: () =>
    new SmtpReply(451, "4.3.0", "Local error in processing: the message could not be stored, try again"),
  badCredentials: () => new SmtpReply(535, "5.7.8", "Authentication credentials invalid"),
  tooManyConnections: (limit: number) =>
    new SmtpReply(
      421,
      "4.7.0",
      `Too many connections (limit ${limit}, PORTHOST_SMTP_MAX_CONNECTIONS), try again later`,
    ),
  sessionTooLong: (limitMs: number) =>
    new SmtpReply(
      421,
      "4.4.2",
      `Session time limit of ${limitMs} ms reached (PORTHOST_SMTP_SESSION_TIMEOUT_MS), closing`,
    ),
  /** MAIL before AUTH on a submission port; `steps` says what the client must do first. */
  submissionNeedsAuth: (steps: string) =>
    new SmtpReply(
      530,
      "5.7.0",
      `Authentication required: this is a message submission port (RFC 6409), so ${steps} first; any user and password pass unless PORTHOST_SMTP_USERS is set`,
    ),
  shuttingDown: () => new SmtpReply(421, "4.3.2", "porthost is shutting down, try again later"),
} as const;

/** The "250 2.0.0 Ok: queued as <id>" text that answers a stored message. */
export const queuedAs = (id: string): string => `Ok: queued as ${id}`;

/** Replies whose text starts with an enhanced status code already. */
export const STARTS_WITH_ENHANCED_CODE = /^[245]\.\d{1,3}\.\d{1,3} /;
