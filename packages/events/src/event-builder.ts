import {
  MAX_DETAIL_CHARS,
  type ConnectionTls,
  type ConnectionEvent,
  type EventTransport,
  type Outcome,
} from "./connection-event.js";
import { isPortCheck, PORT_CHECK_DETAIL } from "./outcome-words.js";
import { normalizeAddress } from "./remote-address.js";

/** Both ends of a connection or datagram: a socket, a UDP sender's info or a dropped connection has them. */
export interface Endpoints {
  readonly localPort?: number | undefined;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
}

/** What became of a connection or datagram, in the units the services measure in. */
export interface EventTally {
  /** When it began, in ms since the epoch (Date.now()). */
  readonly startedAt: number;
  /** How long it lasted; by default from startedAt until now. */
  readonly durationMs?: number | undefined;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly outcome: Outcome;
  /** Why, in a few words; cut to MAX_DETAIL_CHARS. */
  readonly detail?: string | undefined;
  /** The TLS it ran under, when it did (an implicit TLS port, or after STARTTLS/STLS): socketTls(). */
  readonly tls?: ConnectionTls | undefined;
  /** Set by a service for which an empty TCP connection means something else (a knock): never a port check. */
  readonly notPortCheck?: boolean | undefined;
  /** HTTP only: the status the request was answered with. */
  readonly status?: number | undefined;
  /** SMTP and POP3: the session on record for this connection (its transcript's id). */
  readonly session?: string | undefined;
}

function shortDetail(detail: string | undefined): string | undefined {
  if (detail === undefined || detail.length <= MAX_DETAIL_CHARS) return detail;
  return `${detail.slice(0, MAX_DETAIL_CHARS - 1)}…`;
}

/**
 * The one way every service makes a connection event: the client's address normalised, missing
 * ports as 0, the duration to the microsecond, the detail cut to size, and a TCP client that sent
 * nothing marked as a port check (isPortCheck), with no session. It runs for every request and
 * datagram, so it reads its arguments field by field and copies nothing else.
 */
export function connectionEvent(
  service: string,
  transport: EventTransport,
  endpoints: Endpoints,
  tally: EventTally,
): ConnectionEvent {
  const durationMs = tally.durationMs ?? Date.now() - tally.startedAt;
  const probe = !tally.notPortCheck && isPortCheck(transport, tally);
  return {
    time: new Date(tally.startedAt).toISOString(),
    service,
    transport,
    localPort: endpoints.localPort ?? 0,
    remoteAddress: normalizeAddress(endpoints.remoteAddress),
    remotePort: endpoints.remotePort ?? 0,
    bytesIn: tally.bytesIn,
    bytesOut: tally.bytesOut,
    // A wall clock stepped back must not make a negative duration.
    durationMs: Math.max(0, Math.round(durationMs * 1000) / 1000),
    outcome: probe ? "ok" : tally.outcome,
    detail: probe ? PORT_CHECK_DETAIL : shortDetail(tally.detail),
    tls: tally.tls,
    probe: probe || undefined,
    status: tally.status,
    // A port check held no session, and none went on record (the SMTP and POP3 records skip it).
    session: probe ? undefined : tally.session,
  };
}

/** A socket's ends, read now: a socket that has closed no longer knows its peer. */
export function socketEndpoints(socket: Endpoints): Endpoints {
  return { localPort: socket.localPort, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort };
}
