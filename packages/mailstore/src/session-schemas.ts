import { Type, type Static, type TSchema, type TSchemaOptions } from "typebox";

/** The shapes of session records as readers see them (the web API, the CLI's --json, the switchboard). */

const nullable = <T extends TSchema>(schema: T, options?: TSchemaOptions) => Type.Union([schema, Type.Null()], options);
const list = <T extends TSchema>(item: T, options?: TSchemaOptions) => Type.Immutable(Type.Array(item, options));

/** smtp-server's session ids are 16 characters of base 32; porthost makes POP3's the same way. */
export const SESSION_ID_PATTERN = "^[0-9a-v]{16}$";

/**
 * How a session ended, most telling first: a failed TLS handshake; mail stored; the server's
 * idle or session time limit; a 4xx/5xx (or -ERR) reply with nothing stored; a socket error;
 * otherwise ok (the client quit or hung up).
 */
export const SESSION_OUTCOMES = ["tls-failed", "delivered", "timeout", "rejected", "error", "ok"] as const;
export type SessionOutcome = (typeof SESSION_OUTCOMES)[number];

/** Who a transcript line is from: the client (C:), the server (S:), or porthost noting what happened. */
export const LINE_SOURCES = ["client", "server", "note"] as const;

export const TranscriptLineSchema = Type.Object({
  at: Type.Number({ minimum: 0, description: "ms since the session began" }),
  from: Type.Enum(LINE_SOURCES, {
    type: "string",
    description: "client (a command), server (a reply line), note (what porthost saw: TLS, a message's size)",
  }),
  text: Type.String({ description: "the line; message bodies and AUTH/PASS/APOP secrets are elided" }),
});
export type TranscriptLine = Static<typeof TranscriptLineSchema>;

export const SessionTlsSchema = Type.Object({
  version: Type.String({ description: 'e.g. "TLSv1.3"' }),
  cipher: Type.String(),
  mode: Type.Enum(["implicit", "starttls"], {
    type: "string",
    description: "implicit: TLS from the first byte (465, 995); starttls: upgraded by STARTTLS or STLS",
  }),
});
export type SessionTls = Static<typeof SessionTlsSchema>;

/** One session without its transcript: what a list shows. */
export const SessionSummarySchema = Type.Object({
  id: Type.String({ pattern: SESSION_ID_PATTERN, description: "the session id, as in a message's Received: header" }),
  service: Type.String({ description: "the port table's name of the port it came to: smtp, submission, pop3, ..." }),
  startedAt: Type.String({ description: "when the connection was accepted, ISO 8601" }),
  durationMs: Type.Number({ minimum: 0 }),
  client: Type.Object({
    address: Type.String(),
    port: Type.Integer({ description: "the client's (usually ephemeral) port" }),
  }),
  server: Type.Object({ port: Type.Integer({ description: "the port the client connected to" }) }),
  helo: nullable(Type.String(), { description: "the name given in HELO/EHLO (SMTP), or null" }),
  tls: nullable(SessionTlsSchema, { description: "the TLS the session ran under, or null" }),
  user: nullable(Type.String(), { description: "the AUTH user (SMTP) or the user logged in (POP3), or null" }),
  outcome: Type.Enum(SESSION_OUTCOMES, { type: "string" }),
  detail: nullable(Type.String(), { description: "why, in a line: the refusing reply, the TLS error, the limit" }),
  messages: list(Type.String(), { description: "ids of the messages this session stored, in order" }),
  lineCount: Type.Integer({ minimum: 0, description: "transcript lines, including any left out" }),
});
export type SessionSummary = Static<typeof SessionSummarySchema>;

/** One session on record: its summary and its transcript. */
export const SessionRecordSchema = Type.Object(
  {
    ...SessionSummarySchema.properties,
    transcript: list(TranscriptLineSchema, {
      description: "each command and reply with its time; a long session keeps its start and end, with a note between",
    }),
  },
  { description: "one SMTP or POP3 session: who, when, TLS, AUTH, outcome, stored messages and the transcript" },
);
export type SessionRecord = Static<typeof SessionRecordSchema>;

/** Sessions on record, newest first. */
export const SessionListSchema = Type.Object(
  {
    sessions: list(SessionSummarySchema),
    total: Type.Integer({ description: "how many sessions match, on record now" }),
  },
  { description: "SMTP and POP3 sessions on record, newest first" },
);
export type SessionList = Static<typeof SessionListSchema>;
