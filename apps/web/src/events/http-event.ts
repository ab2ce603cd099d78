import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { EVENTS_PATH, connectionEvent, socketTls, type ConnectionEvent, type Outcome } from "@porthost/events";

/** One answered HTTP request. */
export interface ServedRequest {
  readonly socket: Socket;
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly durationMs: number;
}

function outcomeOf(status: number): Outcome {
  if (status < 400) return "ok";
  if (status === 429 || status === 413 || status === 431) return "limited";
  if (status === 408) return "timeout";
  return status < 500 ? "refused" : "error";
}

/**
 * One HTTP request as a connection event (the live view's row for port 80/8080). The event
 * stream's own traffic is left out, or every event reported would report another.
 */
export function httpEvent(served: ServedRequest): ConnectionEvent | undefined {
  if (served.url.startsWith(EVENTS_PATH)) return undefined;
  const { socket, status, durationMs } = served;
  // The socket is open while its request is answered: its ends are read straight from it.
  const secure = socket instanceof TLSSocket;
  return connectionEvent(secure ? "https" : "http", "tcp", socket, {
    startedAt: Date.now() - durationMs,
    durationMs,
    bytesIn: served.bytesIn,
    bytesOut: served.bytesOut,
    outcome: outcomeOf(status),
    detail: `${served.method} ${served.url} ${status}`,
    tls: secure ? socketTls(socket, "implicit") : undefined,
  });
}
