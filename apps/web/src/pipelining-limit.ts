import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import { connectionFields, type Logger } from "@porthost/log";

/** Requests one connection may have waiting for their answers (pipelined ahead of them). */
export const MAX_WAITING_REQUESTS = 32;

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Node parses every request in one read (64 KiB: about 1,800 small GETs) before its backpressure
 * pauses the socket, and keeps each one's request and reply until its answer is written: a
 * client that pipelines and never reads held about 7 MB per connection. Past
 * MAX_WAITING_REQUESTS on one connection it is closed instead, and the rest of that read (node
 * has parsed it already) never reaches fastify; an HTTP/1.1 client retries the pipelined requests it got
 * no answer to (RFC 9112 9.3.2). Browsers do not pipeline. Call it once fastify's server exists:
 * its request listener runs only for the requests this admits.
 */
export function limitPipelining(app: FastifyInstance, logger: Logger): void {
  const waiting = new WeakMap<Socket, number>();
  const server = app.server;
  const listeners = server.listeners("request") as RequestListener[];
  server.removeAllListeners("request");
  server.on("request", function admit(this: unknown, request: IncomingMessage, response: ServerResponse) {
    const socket = request.socket;
    if (socket.destroyed) return;
    const count = waiting.get(socket) ?? 0;
    if (count >= MAX_WAITING_REQUESTS) {
      logger.warn({ ...connectionFields(socket), waiting: count }, "closing a connection pipelining past its answers");
      socket.destroy();
      return;
    }
    waiting.set(socket, count + 1);
    for (const listener of listeners) listener.call(this, request, response);
  });
  // An answer written (or failed): one fewer waiting. A hook fastify runs anyway, not a listener per request.
  app.addHook("onResponse", (request, _reply, done) => {
    const socket = request.raw.socket;
    waiting.set(socket, (waiting.get(socket) ?? 1) - 1);
    done();
  });
}
