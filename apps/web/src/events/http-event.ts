import type { Socket } from "node:net";
import { EVENTS_PATH, MAX_DETAIL_CHARS, type ConnectionEvent, type Outcome } from "@porthost/events";
import { isoTime } from "@porthost/log";

/** One answered HTTP request, however it was answered (a route, or the static fast path). */
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

function remoteAddressOf(socket: Socket): string {
  const address = socket.remoteAddress ?? "0.0.0.0";
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

/**
 * One HTTP request as a connection event (the live view's row for port 80/8080). The event
 * stream's own traffic is left out, or every event reported would report another.
 */
export function httpEvent(served: ServedRequest): ConnectionEvent | undefined {
  if (served.url.startsWith(EVENTS_PATH)) return undefined;
  const { socket, status } = served;
  const detail = `${served.method} ${served.url} ${status}`;
  return {
    time: isoTime(Date.now() - served.durationMs),
    service: "http",
    transport: "tcp",
    localPort: socket.localPort ?? 0,
    remoteAddress: remoteAddressOf(socket),
    remotePort: socket.remotePort ?? 0,
    bytesIn: served.bytesIn,
    bytesOut: served.bytesOut,
    durationMs: Math.round(served.durationMs * 1000) / 1000,
    outcome: outcomeOf(status),
    detail: detail.length > MAX_DETAIL_CHARS ? `${detail.slice(0, MAX_DETAIL_CHARS - 1)}…` : detail,
  };
}
