/** SMTP replies porthost gives, one catalogue, each with its code (RFC 5321, RFC 3463). */
export class SmtpReply extends Error {
  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(message);
  }
}

export const smtpReplies = {
  messageTooBig: (limitBytes: number) => new SmtpReply(552, `5.3.4 Message too big: the limit is ${limitBytes} bytes`),
  localError: () => new SmtpReply(451, "4.3.0 Local error in processing: the message could not be stored, try again"),
} as const;
