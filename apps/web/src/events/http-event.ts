import type { FastifyReply, FastifyRequest } from "fastify";
import { EVENTS_PATH, MAX_DETAIL_CHARS, type ConnectionEvent, type Outcome } from "@porthost/events";

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
export function httpEvent(request: FastifyRequest, reply: FastifyReply): ConnectionEvent | undefined {
  if (request.url.startsWith(EVENTS_PATH)) return undefined;
  const socket = request.raw.socket;
  const status = reply.statusCode;
  const length = Number(reply.getHeader("content-length"));
  const detail = `${request.method} ${request.url} ${status}`;
  return {
    time: new Date(Date.now() - reply.elapsedTime).toISOString(),
    service: "http",
    transport: "tcp",
    localPort: socket.localPort ?? 0,
    remoteAddress: (socket.remoteAddress ?? "0.0.0.0").replace(/^::ffff:/, ""),
    remotePort: socket.remotePort ?? 0,
    bytesIn: Number(request.headers["content-length"]) || 0,
    bytesOut: Number.isFinite(length) ? length : 0,
    durationMs: Math.round(reply.elapsedTime * 1000) / 1000,
    outcome: outcomeOf(status),
    detail: detail.length > MAX_DETAIL_CHARS ? `${detail.slice(0, MAX_DETAIL_CHARS - 1)}…` : detail,
  };
}
