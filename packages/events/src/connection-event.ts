import { isIP } from "node:net";

/** How a connection or datagram ended; a small closed set the live view colours by. */
export const OUTCOMES = ["ok", "refused", "timeout", "error", "limited", "dropped"] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const TRANSPORTS = ["tcp", "udp"] as const;
export type EventTransport = (typeof TRANSPORTS)[number];

/** One TCP connection or one UDP datagram, as a service saw it. */
export interface ConnectionEvent {
  /** When the connection opened or the datagram arrived (ISO 8601, UTC). */
  readonly time: string;
  /** The porthost service that took it (`echo`, `discard`, `smtp`, `http`, ...). */
  readonly service: string;
  readonly transport: EventTransport;
  /** The server's port: the number that chose the service. */
  readonly localPort: number;
  readonly remoteAddress: string;
  /** The client's (usually ephemeral) port. */
  readonly remotePort: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly durationMs: number;
  readonly outcome: Outcome;
  /** Why, in a few words, when the outcome is not plain `ok`. */
  readonly detail?: string;
}

/** What the sender posts to `/api/events` in one request. */
export interface EventBatch {
  readonly events: readonly ConnectionEvent[];
}

export const EVENTS_PATH = "/api/events";
/** The most events in one POST; a receiver may refuse larger batches. */
export const MAX_BATCH_EVENTS = 100;
export const MAX_DETAIL_CHARS = 200;
const MAX_SERVICE_CHARS = 32;
/** A hard ceiling so a hostile body cannot claim absurd numbers (1 PiB, about 31 years). */
const MAX_BYTES = 2 ** 50;
const MAX_DURATION_MS = 1e12;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
const SERVICE = /^[a-z][a-z0-9-]*$/;

export type Validation<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const KEYS = new Set([
  "time",
  "service",
  "transport",
  "localPort",
  "remoteAddress",
  "remotePort",
  "bytesIn",
  "bytesOut",
  "durationMs",
  "outcome",
  "detail",
]);

function isWhole(value: unknown, max: number): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= max;
}

/** The first thing wrong with an untrusted event, or undefined when it is a valid ConnectionEvent. */
function problem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "an event must be an object";
  const e = value as Record<string, unknown>;
  for (const key of Object.keys(e)) if (!KEYS.has(key)) return `unknown field ${JSON.stringify(key.slice(0, 40))}`;
  if (typeof e.time !== "string" || !ISO_TIME.test(e.time) || Number.isNaN(Date.parse(e.time)))
    return "time must be an ISO 8601 UTC time";
  if (typeof e.service !== "string" || e.service.length > MAX_SERVICE_CHARS || !SERVICE.test(e.service))
    return "service must be a lower-case name";
  if (!(TRANSPORTS as readonly unknown[]).includes(e.transport)) return "transport must be tcp or udp";
  if (!isWhole(e.localPort, 65535)) return "localPort must be a port number (0-65535)";
  if (typeof e.remoteAddress !== "string" || isIP(e.remoteAddress) === 0) return "remoteAddress must be an IP address";
  if (!isWhole(e.remotePort, 65535)) return "remotePort must be a port number (0-65535)";
  if (!isWhole(e.bytesIn, MAX_BYTES)) return "bytesIn must be a whole number of bytes";
  if (!isWhole(e.bytesOut, MAX_BYTES)) return "bytesOut must be a whole number of bytes";
  if (typeof e.durationMs !== "number" || !(e.durationMs >= 0 && e.durationMs <= MAX_DURATION_MS))
    return "durationMs must be a non-negative number";
  if (!(OUTCOMES as readonly unknown[]).includes(e.outcome)) return `outcome must be one of ${OUTCOMES.join(", ")}`;
  if (e.detail !== undefined && (typeof e.detail !== "string" || e.detail.length > MAX_DETAIL_CHARS))
    return `detail must be a string of at most ${MAX_DETAIL_CHARS} characters`;
  return undefined;
}

/** Checks untrusted input (a POST body) against the ConnectionEvent format. */
export function validateConnectionEvent(value: unknown): Validation<ConnectionEvent> {
  const error = problem(value);
  return error === undefined ? { ok: true, value: value as ConnectionEvent } : { ok: false, error };
}

export function isConnectionEvent(value: unknown): value is ConnectionEvent {
  return problem(value) === undefined;
}

/** Checks an untrusted `{ events: [...] }` body; the error names the first bad event by index. */
export function validateEventBatch(value: unknown): Validation<EventBatch> {
  if (typeof value !== "object" || value === null || !Array.isArray((value as { events?: unknown }).events))
    return { ok: false, error: "the body must be { events: [...] }" };
  const events = (value as { events: unknown[] }).events;
  if (events.length > MAX_BATCH_EVENTS)
    return { ok: false, error: `at most ${MAX_BATCH_EVENTS} events per batch, got ${events.length}` };
  for (const [index, event] of events.entries()) {
    const error = problem(event);
    if (error !== undefined) return { ok: false, error: `events[${index}]: ${error}` };
  }
  return { ok: true, value: { events: events as ConnectionEvent[] } };
}
