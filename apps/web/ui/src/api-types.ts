/**
 * The JSON the page reads and sends: the TypeScript types of the web service's own schemas (the
 * ones /api/docs shows). Imported as types only, so nothing of TypeBox reaches the page's bundle.
 */
export type { NumberedEvent, RestartList } from "../../src/events/event-schemas.js";
export type { AppRestart } from "@porthost/events/restart";
export type { MailChange } from "../../src/events/mail-changes.js";
export type { PortEntry, PortsReply, RangeClass, Whoami, Whois } from "../../src/api/ports-schemas.js";
export type { EchoRequest, EchoResult, SendRequest, SendResult } from "../../src/api/client-schemas.js";
export type { WebError } from "../../src/web-errors.js";
export type { AttachmentInfo, Envelope, MessagePage, MessageSummary, ParsedMessage } from "@porthost/mailstore/schema";
export type { SessionList, SessionRecord, SessionSummary } from "@porthost/mailstore/session-schema";
