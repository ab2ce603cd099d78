import { bareAddress } from "./recipients.js";
import type { MessageSummary } from "./message-schemas.js";

/**
 * Mailpit's search syntax (https://mailpit.axllent.org/docs/usage/search-filters/) over the
 * Maildir: words and "quoted phrases" anywhere (headers, envelope, text and HTML bodies),
 * qualifiers `to: from: cc: bcc: subject: message-id: addressed: has:attachment is:read
 * is:unread after: before:`, and `-` before any of them to exclude.
 */

/** Where a word must be found; "text" is everywhere. */
type TextField = "text" | "to" | "from" | "cc" | "bcc" | "subject" | "message-id" | "addressed";

export type SearchTerm = { readonly negate: boolean } & (
  | { readonly kind: "text"; readonly field: TextField; readonly value: string }
  | { readonly kind: "attachment" }
  | { readonly kind: "read" }
  | { readonly kind: "after" | "before"; readonly time: number }
);

export interface SearchQuery {
  readonly terms: readonly SearchTerm[];
  /** Some term looks into the bodies or attachments, which the summaries do not hold. */
  readonly needsBody: boolean;
}

/** What the index knows of a message's bodies: enough to search them without parsing the message again. */
export interface BodyEntry {
  readonly id: string;
  /** The text part and the HTML part's words, lowercased, whitespace collapsed, at most MAX_INDEXED_TEXT_CHARS. */
  readonly text: string;
  /** The first words of the message, as written (Mailpit's Snippet). */
  readonly snippet: string;
  /** Attachments that are not inline parts. */
  readonly attachments: number;
}

/** Whether a query looks for words in the bodies (not only for attachments). */
export function searchesBodyText(query: SearchQuery): boolean {
  return query.terms.some((t) => t.kind === "text" && t.field === "text");
}

/** A message as search sees it: its summary, its flags, and, when the query needs them, its bodies. */
export interface SearchDoc {
  /** Kept by the store between searches: its lowercased fields are worked out once (see fieldsOf). */
  readonly summary: Omit<MessageSummary, "flags">;
  readonly flags: string;
  readonly body: BodyEntry | undefined;
}

/** A summary's searchable fields, lowercased, and its arrival time. */
type Fields = Readonly<Record<TextField, string>> & { readonly received: number };

/** Per summary object, so that a search over thousands of messages does no string work for their headers. */
const fieldCache = new WeakMap<object, Fields>();

/** A query that cannot be read: the web answers 400 with this message. */
export class SearchSyntaxError extends Error {
  override readonly name = "SearchSyntaxError";
}

const TEXT_FIELDS: ReadonlySet<string> = new Set(["to", "from", "cc", "bcc", "subject", "message-id", "addressed"]);
/** Longest query read; the web's schemas allow less. */
const MAX_QUERY_CHARS = 1_000;

/** Splits at whitespace outside double quotes; a quote may open mid-token (`subject:"a b"`). */
function tokens(query: string): string[] {
  const found: string[] = [];
  let current = "";
  let quoted = false;
  for (const c of query.slice(0, MAX_QUERY_CHARS)) {
    if (c === '"') quoted = !quoted;
    if (!quoted && /\s/.test(c)) {
      if (current !== "") found.push(current);
      current = "";
    } else current += c;
  }
  if (current !== "") found.push(current);
  return found;
}

const unquote = (value: string): string => value.replace(/"/g, "");

/** `2024-05-01` is that day's start in UTC; anything else Date.parse reads (ISO 8601 with a time). */
function parseTime(qualifier: string, value: string): number {
  const day = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(value);
  const time = day ? Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3])) : Date.parse(value);
  if (Number.isNaN(time)) {
    throw new SearchSyntaxError(
      `${qualifier}:${value} is not a date: write ${qualifier}:2024-05-01 or an ISO 8601 time`,
    );
  }
  return time;
}

function term(token: string): SearchTerm | undefined {
  const negate = token.startsWith("-") && token.length > 1;
  const body = negate ? token.slice(1) : token;
  const colon = body.indexOf(":");
  const qualifier = colon > 0 && !body.slice(0, colon).includes('"') ? body.slice(0, colon).toLowerCase() : "";
  const value = unquote(qualifier === "" ? body : body.slice(colon + 1));
  if (qualifier === "has") {
    if (!/^attachments?$/i.test(value)) throw new SearchSyntaxError(`has:${value} is not known: write has:attachment`);
    return { negate, kind: "attachment" };
  }
  if (qualifier === "is") {
    const read = value.toLowerCase();
    if (read !== "read" && read !== "unread") {
      throw new SearchSyntaxError(`is:${value} is not known: write is:read or is:unread`);
    }
    return { negate: negate !== (read === "unread"), kind: "read" };
  }
  if (qualifier === "after" || qualifier === "before")
    return { negate, kind: qualifier, time: parseTime(qualifier, value) };
  const field = TEXT_FIELDS.has(qualifier) ? (qualifier as TextField) : "text";
  const text = (field === "text" ? unquote(body) : value).trim().toLowerCase();
  return text === "" ? undefined : { negate, kind: "text", field, value: text };
}

/** Reads a query in Mailpit's syntax; throws SearchSyntaxError for an unknown is:/has: or a bad date. */
export function parseSearch(query: string): SearchQuery {
  const terms = tokens(query)
    .map(term)
    .filter((t): t is SearchTerm => t !== undefined);
  const needsBody = terms.some((t) => t.kind === "attachment" || (t.kind === "text" && t.field === "text"));
  return { terms, needsBody };
}

/** Mailpit's Bcc: the envelope's recipients that the To: and Cc: headers do not name. */
export function blindRecipients(summary: Omit<MessageSummary, "flags">): string[] {
  if (!summary.envelope) return [];
  const named = new Set([...summary.to, ...summary.cc].map(bareAddress));
  return summary.envelope.rcptTo.filter((address) => !named.has(bareAddress(address)));
}

function fieldsOf(summary: Omit<MessageSummary, "flags">): Fields {
  const known = fieldCache.get(summary);
  if (known) return known;
  const lower = (values: readonly string[]): string => values.join("\n").toLowerCase();
  const rcptTo = summary.envelope?.rcptTo ?? [];
  const from = lower([summary.from, summary.envelope?.mailFrom ?? ""]);
  const addressed = lower([...summary.to, ...summary.cc, ...rcptTo]);
  const subject = summary.subject.toLowerCase();
  const messageId = (summary.messageId ?? "").toLowerCase();
  const fields: Fields = {
    to: lower([...summary.to, ...rcptTo]),
    from,
    cc: lower(summary.cc),
    bcc: lower(blindRecipients(summary)),
    subject,
    "message-id": messageId,
    addressed,
    text: [from, addressed, subject, messageId].join("\n"),
    received: Date.parse(summary.receivedAt),
  };
  fieldCache.set(summary, fields);
  return fields;
}

function termMatches(doc: SearchDoc, fields: Fields, t: SearchTerm): boolean {
  switch (t.kind) {
    case "text":
      return fields[t.field].includes(t.value) || (t.field === "text" && (doc.body?.text.includes(t.value) ?? false));
    case "attachment":
      return (doc.body?.attachments ?? 0) > 0;
    case "read":
      return doc.flags.includes("S");
    case "after":
      return fields.received >= t.time;
    case "before":
      return fields.received < t.time;
  }
}

/** Whether a message matches every term of the query (an empty query matches all). */
export function matchesSearch(doc: SearchDoc, query: SearchQuery): boolean {
  if (query.terms.length === 0) return true;
  const fields = fieldsOf(doc.summary);
  return query.terms.every((t) => termMatches(doc, fields, t) !== t.negate);
}
