import { hostname } from "node:os";
import type { Envelope } from "./message-schemas.js";
import { arrivalMicros } from "./message-name.js";
import { bareAddress } from "./recipients.js";

/**
 * The SMTP envelope is kept in the message itself, as the trace headers a real MDA writes
 * (Postfix's local and virtual delivery): `Return-Path:` (MAIL FROM), one `Delivered-To:` per
 * RCPT TO in order (Bcc included), then a `Received:` header naming both ends' addresses and
 * ports, the RFC 3848 / RFC 6531 protocol (ESMTP, S for TLS, A for AUTH, UTF8SMTP for
 * SMTPUTF8), the TLS cipher and the authenticated user. One file per message, no side files:
 * the Maildir stays the one truth, and every Maildir reader sees the envelope.
 */

/** How the receiving server names itself in `by`, read once (os.hostname() is a system call). */
const HOST = hostname();

/** What the Received: header says besides the envelope: who received it and in which session. */
export interface ReceivedBy {
  /** The server's host name (`by` clause); default: this host's name. */
  readonly name?: string;
  /** The SMTP session's id (`id` clause). */
  readonly sessionId?: string;
}

/** Marks a Received: header as porthost's own, so a foreign one is never read as an envelope. */
const BY_MARK = "porthost smtp";

/** A header field value cannot hold a line break; SMTP commands have none, but be sure. */
function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, " ");
}

function bracketed(address: string): string {
  return address.includes(":") ? `[IPv6:${address}]` : `[${address}]`;
}

function unbracketed(literal: string): string {
  return literal.replace(/^\[(?:IPv6:)?/, "").replace(/\]$/, "");
}

function protocol(envelope: Envelope): string {
  return `${envelope.smtputf8 ? "UTF8SMTP" : "ESMTP"}${envelope.tls ? "S" : ""}${envelope.authUser !== null ? "A" : ""}`;
}

/** RFC 5322 date-time in UTC, as Postfix writes it: `Wed, 02 Dec 2026 00:40:29 +0000`. */
function rfc5322Date(date: Date): string {
  return date.toUTCString().replace("GMT", "+0000");
}

/** The trace headers for the top of a message, CRLF-terminated. */
export function traceHeaders(envelope: Envelope, by: ReceivedBy = {}): Buffer {
  const lines = [`Return-Path: <${oneLine(envelope.mailFrom)}>`];
  for (const rcpt of envelope.rcptTo) lines.push(`Delivered-To: ${oneLine(rcpt)}`);
  const { client, server } = envelope;
  lines.push(`Received: from ${oneLine(client.helo) || "unknown"} (${bracketed(client.address)}:${client.port})`);
  lines.push(`\tby ${oneLine(by.name ?? HOST)} (${BY_MARK}, ${bracketed(server.address)}:${server.port})`);
  lines.push(`\twith ${protocol(envelope)}${by.sessionId ? ` id ${oneLine(by.sessionId)}` : ""}`);
  if (envelope.tls) lines.push(`\t(using ${envelope.tls.protocol} with cipher ${envelope.tls.cipher})`);
  // Any login is accepted by default, so the name may hold anything: quoted as JSON, read back as JSON.
  if (envelope.authUser !== null) lines.push(`\t(authenticated as ${JSON.stringify(envelope.authUser)})`);
  if (envelope.body) lines.push(`\t(body ${envelope.body})`);
  // Like Postfix, name a recipient in Received only when there is one.
  const only = envelope.rcptTo.length === 1 ? envelope.rcptTo[0] : undefined;
  if (only !== undefined) lines.push(`\tfor <${oneLine(only)}>`);
  lines[lines.length - 1] += ";";
  lines.push(`\t${rfc5322Date(new Date(envelope.receivedAt))}`, "");
  return Buffer.from(lines.join("\r\n"));
}

const RETURN_PATH = /^Return-Path: <(.*)>$/;
const DELIVERED_TO = /^Delivered-To: (.*)$/;
const FROM = /^Received: from (\S+) \((\[[^\]]*\]):(\d+)\)$/;
const BY = /^\tby \S+ \(porthost smtp, (\[[^\]]*\]):(\d+)\)$/;
const WITH = /^\twith ((?:ESMTP|UTF8SMTP)S?A?)(?: id [^\s;]+)?(;?)$/;
const USING = /^\t\(using (\S+) with cipher (\S+)\)(;?)$/;
const AUTHENTICATED = /^\t\(authenticated as ("(?:[^"\\]|\\.)*")\)(;?)$/;
const BODY = /^\t\(body (\S+)\)(;?)$/;
const FOR = /^\tfor <.*>;$/;
const DATE = /^\t(.+)$/;

const WITH_ID = /^\twith (?:ESMTP|UTF8SMTP)S?A? id ([^\s;]+);?$/;

/**
 * The id of the SMTP session that stored a message, from the `id` clause of porthost's own
 * Received: header (the line after its `by ... (porthost smtp, ...)`), or null.
 */
export function traceSessionId(headerText: string): string | null {
  const lines = headerText.split("\r\n", 64);
  const by = lines.findIndex((line) => BY.test(line));
  return by === -1 ? null : (WITH_ID.exec(lines[by + 1] ?? "")?.[1] ?? null);
}

/**
 * The envelope in the trace headers at the top of a message's header text, or null when the
 * message does not start with porthost's (another program put it in the Maildir). The arrival
 * time comes from the file's unique name (`id`) when it carries one, to the microsecond.
 */
export function parseTraceHeaders(headerText: string, id: string): Envelope | null {
  const lines = headerText.split("\r\n", 64);
  let at = 0;
  const mailFrom = RETURN_PATH.exec(lines[at++] ?? "")?.[1];
  if (mailFrom === undefined) return null;
  const rcptTo: string[] = [];
  for (let match; (match = DELIVERED_TO.exec(lines[at] ?? "")); at++) rcptTo.push(match[1] as string);
  const from = FROM.exec(lines[at++] ?? "");
  const by = BY.exec(lines[at++] ?? "");
  const withClause = WITH.exec(lines[at++] ?? "");
  if (!from || !by || !withClause) return null;
  const proto = withClause[1] as string;
  let ended = withClause[2] === ";";
  let tls: Envelope["tls"] = null;
  let authUser: string | null = null;
  let body: string | null = null;
  let match: RegExpExecArray | null;
  if (!ended && (match = USING.exec(lines[at] ?? ""))) {
    tls = { protocol: match[1] as string, cipher: match[2] as string };
    ended = match[3] === ";";
    at++;
  }
  if (!ended && (match = AUTHENTICATED.exec(lines[at] ?? ""))) {
    authUser = JSON.parse(match[1] as string) as string;
    ended = match[2] === ";";
    at++;
  }
  if (!ended && (match = BODY.exec(lines[at] ?? ""))) {
    body = match[1] as string;
    ended = match[2] === ";";
    at++;
  }
  if (!ended && FOR.test(lines[at] ?? "")) {
    ended = true;
    at++;
  }
  const date = DATE.exec(lines[at] ?? "")?.[1];
  if (!ended || date === undefined) return null;
  const micros = arrivalMicros(id);
  const received = micros > 0 ? new Date(micros / 1000) : new Date(date);
  return {
    mailFrom,
    rcptTo,
    client: { address: unbracketed(from[2] as string), port: Number(from[3]), helo: from[1] as string },
    server: { address: unbracketed(by[1] as string), port: Number(by[2]) },
    tls,
    authUser,
    receivedAt: Number.isNaN(received.getTime()) ? new Date(0).toISOString() : received.toISOString(),
    smtputf8: proto.startsWith("UTF8SMTP"),
    body,
  };
}

/** How much of a message's top `recipientTop` looks at before it gives up and changes nothing. */
export const MAX_TRACE_BYTES = 64 * 1024; // 64 KiB: a thousand long Delivered-To lines

const RETURN_PATH_START = "Return-Path: <";
const DELIVERED_TO_START = "Delivered-To: ";

/**
 * One recipient's copy of a message's top, as an MDA that delivers a copy per recipient writes
 * it: the `Delivered-To:` lines of the other recipients are left out, so a Bcc stays blind.
 * `head` is the start of the file. Returns the bytes to use in its place, or undefined while
 * `head` ends inside the Delivered-To block (read more and ask again). A message that does not
 * begin with a Return-Path line is returned as it is.
 */
export function recipientTop(head: Buffer, recipient: string): Buffer | undefined {
  const text = head.toString("latin1"); // one char per byte: offsets are byte offsets
  if (!text.startsWith(RETURN_PATH_START)) {
    return RETURN_PATH_START.startsWith(text) && head.length < RETURN_PATH_START.length ? undefined : head;
  }
  const wanted = bareAddress(recipient);
  let at = text.indexOf("\r\n");
  if (at === -1) return undefined;
  at += 2;
  const kept = [head.subarray(0, at)];
  for (;;) {
    const end = text.indexOf("\r\n", at);
    const line = end === -1 ? text.slice(at) : text.slice(at, end);
    if (!line.startsWith(DELIVERED_TO_START)) {
      if (end === -1 && DELIVERED_TO_START.startsWith(line)) return undefined;
      break;
    }
    if (end === -1) return undefined;
    const address = Buffer.from(line.slice(DELIVERED_TO_START.length), "latin1").toString("utf8");
    if (bareAddress(address) === wanted) kept.push(head.subarray(at, end + 2));
    at = end + 2;
  }
  kept.push(head.subarray(at));
  return Buffer.concat(kept);
}
