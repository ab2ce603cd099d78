import type { ConnectionEvent, EventTransport, Outcome } from "./connection-event.js";

/**
 * The words a person reads for how a connection ended, true to each protocol, in one place: the
 * switchboard's rows and the picture show them. No imports beyond types, so the page bundles it.
 */

/** The detail of a port check: what the client did, in the switchboard's words. */
export const PORT_CHECK_DETAIL = "connected and closed without sending a byte: a port check";

/**
 * A TCP client that connected and went away without sending a byte checked whether the port is
 * open (the switchboard's status probe, porthost scan, nmap -sT): not a failed session, even when
 * it left with a reset. A server's own reasons (an idle timeout, a limit) are not port checks.
 */
export function isPortCheck(transport: EventTransport, tally: { bytesIn: number; outcome: Outcome }): boolean {
  return transport === "tcp" && tally.bytesIn === 0 && (tally.outcome === "ok" || tally.outcome === "error");
}

/** How an HTTP status colours its request's row. */
export function httpOutcome(status: number): Outcome {
  if (status < 400) return "ok";
  if (status === 429 || status === 413 || status === 431) return "limited";
  if (status === 408) return "timeout";
  return status < 500 ? "refused" : "error";
}

const HTTP_WORDS: Readonly<Record<number, string>> = {
  200: "ok",
  201: "created",
  202: "accepted",
  204: "no content",
  206: "partial content",
  301: "moved permanently",
  302: "found elsewhere",
  304: "not modified",
  307: "temporary redirect",
  308: "permanent redirect",
  400: "bad request",
  401: "unauthorized",
  403: "forbidden",
  404: "not found",
  405: "method not allowed",
  406: "not acceptable",
  408: "request timeout",
  409: "conflict",
  413: "too large",
  415: "unsupported media type",
  416: "range not satisfiable",
  421: "misdirected request",
  429: "too many requests",
  431: "headers too large",
  500: "server error",
  502: "bad gateway",
  503: "unavailable",
  504: "gateway timeout",
};

/** An HTTP status as its reason phrase, lower case ("not found" for 404). */
export function httpStatusWord(status: number): string {
  return (
    HTTP_WORDS[status] ??
    ["", "informational", "ok", "redirect", "client error", "server error"][Math.floor(status / 100)] ??
    "answered"
  );
}

const OUTCOME_WORDS: Readonly<Record<Outcome, string>> = {
  ok: "ok",
  refused: "refused",
  timeout: "timed out",
  error: "error",
  limited: "over a limit",
  dropped: "dropped",
};

const SMTP_WORDS: Partial<Record<Outcome, string>> = { refused: "mail rejected" };
const POP3_WORDS: Partial<Record<Outcome, string>> = { refused: "login refused" };
/** Where a protocol says an outcome in words of its own (by service name, as events carry it). */
const PROTOCOL_WORDS: Readonly<Record<string, Partial<Record<Outcome, string>>>> = {
  smtp: SMTP_WORDS,
  submission: SMTP_WORDS,
  submissions: SMTP_WORDS,
  pop3: POP3_WORDS,
  pop3s: POP3_WORDS,
};

/** The word shown for an event's outcome: "port check", an HTTP status's phrase, or the protocol's word. */
export function outcomeWord(event: Pick<ConnectionEvent, "service" | "outcome" | "probe" | "status">): string {
  if (event.probe === true) return "port check";
  if (event.status !== undefined) return httpStatusWord(event.status);
  return PROTOCOL_WORDS[event.service]?.[event.outcome] ?? OUTCOME_WORDS[event.outcome];
}
