import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { EVENTS_PATH, connectionEvent, httpOutcome, socketTls, type ConnectionEvent } from "@porthost/events";

/** One answered HTTP request. */
export interface ServedRequest {
  readonly socket: Socket;
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly durationMs: number;
}

/** What crossed the wire for one request: request line, headers and body in; status line, headers and body out. */
export interface WireBytes {
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/**
 * One HTTP request as a connection event (the live view's row for port 80/8080: one row per
 * request, its client port telling which connection carried it). The event stream's own traffic
 * and the services' reports are left out, or every event reported would report another.
 */
export function httpEvent(served: ServedRequest, wire: WireBytes): ConnectionEvent | undefined {
  if (served.url.startsWith(EVENTS_PATH)) return undefined;
  const { socket, status, durationMs } = served;
  // The socket is open while its request is answered: its ends are read straight from it.
  const secure = socket instanceof TLSSocket;
  return connectionEvent(secure ? "https" : "http", "tcp", socket, {
    startedAt: Date.now() - durationMs,
    durationMs,
    bytesIn: wire.bytesIn,
    bytesOut: wire.bytesOut,
    outcome: httpOutcome(status),
    detail: `${served.method} ${served.url} ${status}`,
    status,
    tls: secure ? socketTls(socket, "implicit") : undefined,
  });
}
