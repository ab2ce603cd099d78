import { Type, type Static, type TSchema, type TSchemaOptions } from "typebox";

/**
 * Mailpit's API v1 shapes, as its published swagger.json defines them (server/ui/api/v1/swagger.json
 * in axllent/mailpit), so that clients written for Mailpit (the npm mailpit-api, cypress-mailpit)
 * read porthost's answers unchanged. Field names are Mailpit's, capitals and all.
 */

const list = <T extends TSchema>(item: T, options?: TSchemaOptions) => Type.Array(item, options);

export const MailpitAddressSchema = Type.Object(
  { Name: Type.String(), Address: Type.String() },
  {
    description:
      'Mailpit\'s Address: "Barry Gibbs <bg@example.com>" is {Name: "Barry Gibbs", Address: "bg@example.com"}',
  },
);
export type MailpitAddress = Static<typeof MailpitAddressSchema>;

export const MailpitMessageSummarySchema = Type.Object(
  {
    ID: Type.String({ description: "Database ID: porthost's Maildir unique name" }),
    MessageID: Type.String({ description: "Message ID" }),
    Read: Type.Boolean({ description: "Read status: the Maildir S flag" }),
    From: MailpitAddressSchema,
    To: list(MailpitAddressSchema),
    Cc: list(MailpitAddressSchema),
    Bcc: list(MailpitAddressSchema, { description: "envelope recipients the To: and Cc: headers do not name" }),
    ReplyTo: list(MailpitAddressSchema),
    Subject: Type.String(),
    Created: Type.String({ format: "date-time", description: "Received date & time" }),
    Username: Type.String({ description: "Username used for authentication (if provided) with SMTP" }),
    Tags: list(Type.String(), { description: "Message tags (porthost has none)" }),
    Size: Type.Integer({ description: "Message size in bytes (total)" }),
    Attachments: Type.Integer({ description: "How many attachments the message has" }),
    Snippet: Type.String({ description: "Message snippet includes up to 250 characters" }),
  },
  { description: "MessageSummary struct for frontend messages" },
);
export type MailpitMessageSummary = Static<typeof MailpitMessageSummarySchema>;

export const MailpitMessagesSummarySchema = Type.Object(
  {
    total: Type.Integer({ description: "Total number of messages in mailbox" }),
    unread: Type.Integer({ description: "Total number of unread messages in mailbox" }),
    messages_count: Type.Integer({ description: "Total number of messages matching current query" }),
    messages_unread: Type.Integer({ description: "Total number of unread messages matching current query" }),
    start: Type.Integer({ description: "Pagination offset" }),
    tags: list(Type.String(), { description: "All current tags" }),
    messages: list(MailpitMessageSummarySchema, { description: "Messages summary" }),
  },
  { description: "MessagesSummary is a summary of a list of messages" },
);
export type MailpitMessagesSummary = Static<typeof MailpitMessagesSummarySchema>;

export const MailpitAttachmentSchema = Type.Object(
  {
    PartID: Type.String({ description: "Attachment part ID: /api/v1/message/{ID}/part/{PartID}" }),
    FileName: Type.String(),
    ContentType: Type.String(),
    ContentID: Type.String(),
    Size: Type.Integer({ description: "Size in bytes" }),
    Checksums: Type.Object({ MD5: Type.String(), SHA1: Type.String(), SHA256: Type.String() }),
  },
  { description: "Attachment struct for inline images and attachments" },
);

export const MailpitMessageSchema = Type.Object(
  {
    ID: Type.String({ description: "Database ID" }),
    MessageID: Type.String(),
    From: MailpitAddressSchema,
    To: list(MailpitAddressSchema),
    Cc: list(MailpitAddressSchema),
    Bcc: list(MailpitAddressSchema),
    ReplyTo: list(MailpitAddressSchema),
    ReturnPath: Type.String(),
    Subject: Type.String(),
    ListUnsubscribe: Type.Object({
      Header: Type.String(),
      Links: list(Type.String()),
      Errors: Type.String(),
      HeaderPost: Type.String(),
    }),
    Date: Type.String({ format: "date-time", description: "Message date & time (if set), else date & time received" }),
    Tags: list(Type.String()),
    Username: Type.String(),
    Text: Type.String({ description: "Message body text" }),
    HTML: Type.String({ description: "Message body HTML" }),
    Size: Type.Integer({ description: "Message size in bytes" }),
    Inline: list(MailpitAttachmentSchema, { description: "Inline message attachments" }),
    Attachments: list(MailpitAttachmentSchema, { description: "Message attachments" }),
  },
  { description: "Message data excluding physical attachments" },
);
export type MailpitMessage = Static<typeof MailpitMessageSchema>;

export const MailpitAppInformationSchema = Type.Object(
  {
    Version: Type.String({ description: "porthost's version (Mailpit's field)" }),
    LatestVersion: Type.String(),
    Database: Type.String({ description: "The Maildir's path" }),
    DatabaseSize: Type.Integer({ description: "Bytes of stored mail" }),
    Messages: Type.Integer(),
    Unread: Type.Integer(),
    Tags: Type.Record(Type.String(), Type.Integer()),
    RuntimeStats: Type.Object({
      Memory: Type.Integer({ description: "The web service's resident memory, bytes" }),
      MessagesDeleted: Type.Integer(),
      SMTPAccepted: Type.Integer(),
      SMTPAcceptedSize: Type.Integer(),
      SMTPIgnored: Type.Integer(),
      SMTPRejected: Type.Integer(),
      Uptime: Type.Integer({ description: "seconds" }),
    }),
  },
  { description: "AppInformation struct" },
);

export const MailpitHeadersSchema = Type.Record(Type.String(), list(Type.String()), {
  description: "Message headers, keys alphabetical (Go's canonical form: Message-Id)",
});

const MAX_SEND_CHARS = 10 * 1024 * 1024; // 10 MiB of JSON text: base64 attachments
const email = Type.Object({
  Email: Type.String({ maxLength: 254 }),
  Name: Type.Optional(Type.String({ maxLength: 200 })),
});

export const MailpitSendRequestSchema = Type.Object(
  {
    From: email,
    To: Type.Optional(list(email, { maxItems: 100 })),
    Cc: Type.Optional(list(email, { maxItems: 100 })),
    Bcc: Type.Optional(list(Type.String({ maxLength: 254 }), { maxItems: 100 })),
    ReplyTo: Type.Optional(list(email, { maxItems: 100 })),
    Subject: Type.Optional(Type.String({ maxLength: 998 })),
    Text: Type.Optional(Type.String({ maxLength: MAX_SEND_CHARS })),
    HTML: Type.Optional(Type.String({ maxLength: MAX_SEND_CHARS })),
    Headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    Tags: Type.Optional(list(Type.String(), { description: "accepted and ignored: porthost has no tags" })),
    Attachments: Type.Optional(
      list(
        Type.Object({
          Content: Type.String({ maxLength: MAX_SEND_CHARS, description: "Base64-encoded string of the file content" }),
          Filename: Type.String({ maxLength: 255 }),
          ContentType: Type.Optional(Type.String({ maxLength: 255 })),
          ContentID: Type.Optional(Type.String({ maxLength: 255, description: "set: attached inline (cid:)" })),
        }),
        { maxItems: 50 },
      ),
    ),
  },
  { description: "Mailpit's send request: porthost sends it to its own SMTP port" },
);
export type MailpitSendRequest = Static<typeof MailpitSendRequestSchema>;

export const MailpitSendResponseSchema = Type.Object(
  { ID: Type.String({ description: "Database ID" }) },
  { description: "Confirmation message for HTTP send API" },
);

export const MailpitReadStatusSchema = Type.Object({
  IDs: Type.Optional(list(Type.String(), { description: "Optional array of message database IDs" })),
  Read: Type.Optional(Type.Boolean({ default: false, description: "Read status" })),
  Search: Type.Optional(Type.String({ maxLength: 500, description: "Optional messages matching a search" })),
});

export const MailpitDeleteSchema = Type.Object({
  IDs: Type.Optional(list(Type.String(), { description: "Array of message database IDs; none: every message" })),
});

export const MailpitListQuerySchema = Type.Object({
  start: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: "Pagination offset" })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50, description: "Limit number of results" })),
});

export const MailpitSearchQuerySchema = Type.Object({
  query: Type.String({ maxLength: 500, description: "Search query (Mailpit's search filters)" }),
  start: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  tz: Type.Optional(
    Type.String({ maxLength: 64, description: "accepted; porthost reads dates in before:/after: as UTC" }),
  ),
});

/** Mailpit answers errors as plain text. */
export const MailpitTextSchema = Type.String({ description: "Plain text response" });
