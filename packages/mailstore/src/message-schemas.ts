import { Type, type Static, type TSchema, type TSchemaOptions } from "typebox";

/** The shapes of stored mail as readers see them (the web API, the CLI's --json, POP3's views). */

const nullable = <T extends TSchema>(schema: T, options?: TSchemaOptions) => Type.Union([schema, Type.Null()], options);
const list = <T extends TSchema>(item: T, options?: TSchemaOptions) => Type.Immutable(Type.Array(item, options));

/**
 * The SMTP envelope of one message: what the client said outside the message itself. It is
 * stored in the message as trace headers (see trace-headers.ts).
 */
export const EnvelopeSchema = Type.Object(
  {
    mailFrom: Type.String({ description: 'MAIL FROM, "" for the null reverse path <>' }),
    rcptTo: list(Type.String(), { description: "RCPT TO, in order, Bcc recipients included" }),
    client: Type.Object({
      address: Type.String(),
      port: Type.Integer({ description: "the client's (usually ephemeral) port" }),
      helo: Type.String({ description: "the name the client gave in HELO/EHLO" }),
    }),
    server: Type.Object({
      address: Type.String(),
      port: Type.Integer({ description: "the port that took the message" }),
    }),
    tls: nullable(Type.Object({ protocol: Type.String(), cipher: Type.String() }), {
      description: "the TLS protocol and cipher after STARTTLS, or null for a clear-text session",
    }),
    authUser: nullable(Type.String(), { description: "the user that authenticated with AUTH, or null" }),
    receivedAt: Type.String({ description: "when the message was accepted, ISO 8601" }),
    smtputf8: Type.Boolean({ description: "the client asked for SMTPUTF8 (UTF-8 addresses and headers)" }),
    body: nullable(Type.String(), { description: "the BODY parameter of MAIL FROM (7BIT or 8BITMIME), or null" }),
  },
  { description: "the SMTP envelope: MAIL FROM, RCPT TO and both ends of the connection that carried the message" },
);
export type Envelope = Static<typeof EnvelopeSchema>;

/** The headers a message list shows, decoded to text. */
export const HeaderSummarySchema = Type.Object({
  from: Type.String(),
  to: list(Type.String()),
  cc: list(Type.String()),
  subject: Type.String(),
  date: nullable(Type.String(), { description: "the Date: header as written, or null" }),
  messageId: nullable(Type.String()),
});
export type HeaderSummary = Static<typeof HeaderSummarySchema>;

/** One message in a list: its headers decoded, its envelope, and where it stands. */
export const MessageSummarySchema = Type.Object({
  id: Type.String({ description: "the Maildir unique name: stable while the message moves from new/ to cur/" }),
  ...HeaderSummarySchema.properties,
  receivedAt: Type.String({
    description: "when it arrived, ISO 8601 (the envelope's time, else the time in its name)",
  }),
  size: Type.Integer({ description: "bytes on disk, including the Received: header porthost added" }),
  flags: Type.String({
    description: "Maildir flags from :2,<flags> (S seen, R replied, F flagged, T trashed, D draft)",
  }),
  envelope: nullable(EnvelopeSchema, {
    description:
      "the SMTP envelope from porthost's trace headers, or null for a message another program put in the Maildir",
  }),
  sessionId: nullable(Type.String(), {
    description: "the SMTP session that stored it (GET /api/sessions/<id>), from its Received: header, or null",
  }),
});
export type MessageSummary = Static<typeof MessageSummarySchema>;

/** A page of a message list, newest first. */
export const MessagePageSchema = Type.Object(
  {
    messages: list(MessageSummarySchema),
    total: Type.Integer({ description: "how many messages match, across all pages" }),
    nextCursor: nullable(Type.String(), { description: "pass as cursor for the next page; null on the last page" }),
  },
  { description: "a page of stored mail, newest first" },
);
export type MessagePage = Static<typeof MessagePageSchema>;

export const AttachmentInfoSchema = Type.Object({
  index: Type.Integer({ description: "position among the message's attachments: the n of /attachments/n" }),
  filename: nullable(Type.String()),
  contentType: Type.String(),
  size: Type.Integer(),
  contentId: nullable(Type.String(), { description: "Content-ID without angle brackets, for cid: links in the HTML" }),
  disposition: nullable(Type.String(), { description: "attachment or inline" }),
  checksum: Type.String({ description: "MD5 of the content, hex" }),
});
export type AttachmentInfo = Static<typeof AttachmentInfoSchema>;

export const HeaderLineSchema = Type.Object({
  name: Type.String(),
  value: Type.String({ description: "unfolded, encoded-words decoded" }),
});
export type HeaderLine = Static<typeof HeaderLineSchema>;

/** One message parsed. */
export const ParsedMessageSchema = Type.Object(
  {
    summary: MessageSummarySchema,
    headers: list(HeaderLineSchema, { description: "every header in order, as written (duplicates kept)" }),
    text: nullable(Type.String()),
    html: nullable(Type.String(), { description: "the HTML part as sent: untrusted, show it only in a sandbox" }),
    attachments: list(AttachmentInfoSchema),
    links: list(Type.String(), {
      description: "every http(s) URL in the text and HTML parts, each once, in order (at most 200)",
    }),
    codes: list(Type.String(), {
      description:
        "likely one-time codes: 4 to 8 digits near a word such as code, verification, OTP or PIN (years, phone numbers and prices left out)",
    }),
  },
  { description: "one message parsed: headers, text, HTML, attachment list, links, codes and SMTP envelope" },
);
export type ParsedMessage = Static<typeof ParsedMessageSchema>;
