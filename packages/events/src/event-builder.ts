import { MAX_DETAIL_CHARS, type ConnectionEvent, type EventTransport, type Outcome } from "./connection-event.js";
import { normalizeAddress } from "./remote-address.js";

/** Both ends of a connection or datagram, as a socket, a UDP sender's info or a dropped connection gives them. */
export interface Endpoints {
  readonly localPort?: number | undefined;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
}

export interface Tally {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly outcome: Outcome;
  /** Why, in a few words; cut to MAX_DETAIL_CHARS. */
  readonly detail?: string | undefined;
}

/** Everything one event says, in the units the services measure in. */
export interface EventFacts extends Endpoints, Tally {
  readonly service: string;
  readonly transport: EventTransport;
  /** When it began, in ms since the epoch (Date.now()). */
  readonly startedAt: number;
  /** How long it lasted; by default from startedAt until now. */
  readonly durationMs?: number | undefined;
}

function shortDetail(detail: string | undefined): string | undefined {
  if (detail === undefined || detail.length <= MAX_DETAIL_CHARS) return detail;
  return `${detail.slice(0, MAX_DETAIL_CHARS - 1)}…`;
}

/** The one way every service makes a connection event: addresses normalised, durations to the microsecond, details cut to size. */
export function connectionEvent(facts: EventFacts): ConnectionEvent {
  return {
    time: new Date(facts.startedAt).toISOString(),
    service: facts.service,
    transport: facts.transport,
    localPort: facts.localPort ?? 0,
    remoteAddress: normalizeAddress(facts.remoteAddress),
    remotePort: facts.remotePort ?? 0,
    bytesIn: facts.bytesIn,
    bytesOut: facts.bytesOut,
    // Microseconds are plenty; a clock step back must not make a negative duration.
    durationMs: Math.max(0, Math.round((facts.durationMs ?? Date.now() - facts.startedAt) * 1000) / 1000),
    outcome: facts.outcome,
    detail: shortDetail(facts.detail),
  };
}

/** A socket's ends, read now: a socket that has closed no longer knows its peer. */
export function socketEndpoints(socket: Endpoints): Endpoints {
  return { localPort: socket.localPort, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort };
}
