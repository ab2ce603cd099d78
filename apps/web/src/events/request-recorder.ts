import type { IncomingMessage, Server } from "node:http";
import type { Socket } from "node:net";
import { connectionEvent, socketEndpoints } from "@porthost/events";
import { connectionFields, type Logger } from "@porthost/log";
import type { EventHub } from "./event-hub.js";
import { httpEvent, type ServedRequest } from "./http-event.js";

/** The socket's byte counters when its previous request was answered. */
interface WireMark {
  read: number;
  written: number;
}

/**
 * The socket whose counters are the bytes on the wire: for HTTPS the TCP socket under the TLS one
 * (node's TLSSocket keeps it as `_parent`; its own counters are the decrypted bytes), so a row
 * counts the handshake and TLS records too.
 */
function wireSocket(socket: Socket): Socket {
  return (socket as Socket & { _parent?: Socket | null })._parent ?? socket;
}

export interface RequestRecorder {
  /** Records one answered request: a connection event on the hub and one log line with its ports. */
  (served: ServedRequest): void;
  /** Follows the server's connections, so that one closed without a request (a port check) is reported too. */
  watch(server: Server): void;
}

/**
 * Each answered request becomes a connection event counting every byte of it that crossed the
 * wire (the socket's counters since the request before it on the same keep-alive connection),
 * and each connection that carried no request becomes one event of its own.
 */
export function requestRecorder(hub: EventHub, logger: Logger): RequestRecorder {
  // A connection's port fields are the same on every request it carries (keep-alive): a child
  // logger per connection writes them out once, not on every line.
  const connectionLoggers = new WeakMap<Socket, Logger>();
  const marks = new WeakMap<Socket, WireMark>();
  const record = (served: ServedRequest): void => {
    const { socket } = served;
    const mark = marks.get(socket) ?? { read: 0, written: 0 };
    const wire = wireSocket(socket);
    // app.inject's stand-in socket counts nothing: its requests count 0 bytes, not NaN.
    const read = Number(wire.bytesRead) || 0;
    const written = Number(wire.bytesWritten) || 0;
    const bytes = { bytesIn: read - mark.read, bytesOut: written - mark.written };
    mark.read = read;
    mark.written = written;
    marks.set(socket, mark);
    const event = httpEvent(served, bytes);
    if (event) hub.publish(event);
    // The services' own event reports (no event of their own) would double every log line: debug only.
    const level = event ? "info" : "debug";
    if (!logger.isLevelEnabled(level)) return;
    let connectionLogger = connectionLoggers.get(socket);
    if (connectionLogger === undefined) {
      connectionLogger = logger.child(connectionFields(socket));
      connectionLoggers.set(socket, connectionLogger);
    }
    connectionLogger[level](
      { method: served.method, url: served.url, status: served.status, ms: Math.round(served.durationMs) },
      "request",
    );
  };
  return Object.assign(record, {
    watch(server: Server): void {
      const carried = new WeakSet<Socket>();
      server.on("request", (request: IncomingMessage) => carried.add(request.socket));
      server.on("connection", (socket: Socket) => {
        const startedAt = Date.now();
        const endpoints = socketEndpoints(socket);
        socket.once("close", () => {
          if (carried.has(socket)) return;
          const wire = wireSocket(socket);
          // Nothing sent is a port check (the builder says so); a part of a request is a client's error.
          const event = connectionEvent(wire === socket ? "http" : "https", "tcp", endpoints, {
            startedAt,
            bytesIn: wire.bytesRead,
            bytesOut: wire.bytesWritten,
            outcome: socket.bytesRead > 0 ? "error" : "ok",
            detail:
              socket.bytesRead > 0
                ? "closed before a whole request"
                : wire !== socket
                  ? "a TLS handshake, then no request"
                  : undefined,
          });
          hub.publish(event);
          logger.debug({ ...connectionFields(socket), detail: event.detail }, "connection closed without a request");
        });
      });
    },
  });
}
