import type { Server as HttpServer } from "node:http";
import type { Socket } from "node:net";
import tls from "node:tls";
import { connectionEvent, socketEndpoints, tlsFailureDetail } from "@porthost/events";
import { connectionFields, type Logger } from "@porthost/log";
import type { HttpSettings, TlsMaterial } from "@porthost/ports";
import { capConnectionsPerAddress } from "@porthost/runner";
import type { EventHub } from "./events/event-hub.js";

export interface HttpsListenerOptions {
  readonly tls: TlsMaterial;
  readonly limits: HttpSettings;
  readonly maxPerAddress: number;
  readonly hub: EventHub;
  readonly logger: Logger;
}

/**
 * The https port: a TLS server whose decrypted connections go to the same node HTTP server
 * fastify runs (node's http docs: any duplex stream may be handed to `connection`), so HTTP and
 * HTTPS share one parser, one set of routes and hooks (host check, pipelining limit, request
 * events), and the HTTP server's timeouts and per-address cap. The TLS server has its own
 * connection limit and per-address cap, counted before the handshake, and a handshake timeout,
 * so clients that never finish one cannot hold the port.
 */
export function httpsListener(http: HttpServer, options: HttpsListenerOptions): tls.Server {
  const { limits, hub, logger } = options;
  const server = tls.createServer({
    cert: options.tls.cert,
    key: options.tls.key,
    ALPNProtocols: ["http/1.1"],
    handshakeTimeout: limits.headersTimeoutMs,
  });
  server.maxConnections = limits.maxConnections;
  server.on("secureConnection", (socket) => http.emit("connection", socket));
  // A client that does not trust the certificate, speaks plain HTTP to this port, or goes quiet.
  server.on("tlsClientError", (error, socket) => {
    // A client that hung up is gone from the socket; the port it reached is still this server's.
    const endpoints = socketEndpoints(socket);
    const bound = server.address();
    const localPort = endpoints.localPort ?? (typeof bound === "object" && bound !== null ? bound.port : undefined);
    const detail = tlsFailureDetail(error);
    // The TCP socket under the TLS one counts what the client sent (the TLS socket counts only
    // decrypted bytes, none before a handshake). Nothing sent is a port check (the switchboard's
    // probe, a scan), logged at debug; a plain-HTTP request or a refused certificate is not.
    const wire = (socket as typeof socket & { _parent?: Socket | null })._parent ?? socket;
    const portCheck = wire.bytesRead === 0;
    logger[portCheck ? "debug" : "info"]({ ...connectionFields(socket), detail }, "TLS handshake failed");
    hub.publish(
      connectionEvent(
        "https",
        "tcp",
        { ...endpoints, localPort },
        {
          startedAt: Date.now(),
          durationMs: 0,
          bytesIn: wire.bytesRead,
          bytesOut: wire.bytesWritten,
          outcome: portCheck ? "ok" : "refused",
          detail,
        },
      ),
    );
    socket.destroy();
  });
  capConnectionsPerAddress(server, {
    service: "https",
    maxPerAddress: options.maxPerAddress,
    serviceMaxConnections: limits.maxConnections,
    logger,
    events: { send: (event) => hub.publish(event) },
  });
  return server;
}

/** Stops the https port: no new connections; the ones open close with the HTTP server's. */
export function closeHttpsListener(server: tls.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}
