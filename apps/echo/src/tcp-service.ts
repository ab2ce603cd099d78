import net from "node:net";
import { isPortCheck, type EventSink } from "@porthost/events";
import { connectionFields, type Logger } from "@porthost/log";
import type { StreamLimits } from "@porthost/ports";
import { listenTcp, type ListeningEndpoint } from "@porthost/runner";
import { report, type EchoServiceName } from "./connection-events.js";
import type { TcpHandler } from "./tcp-handlers.js";

/** On shutdown a connection gets this long to finish before it is cut (inside runner's 5 s). */
export const CLOSE_GRACE_MS = 2_000; // 2 s

export interface TcpServiceOptions {
  readonly service: EchoServiceName;
  readonly host: string;
  /** 0 lets the system pick a free port (tests). */
  readonly port: number;
  readonly limits: StreamLimits;
  /** Per-socket buffer in bytes (both directions); undefined keeps Node's default. */
  readonly bufferBytes?: number | undefined;
  readonly handler: TcpHandler;
  readonly logger: Logger;
  readonly events?: EventSink | undefined;
}

export interface TcpServiceStats {
  readonly open: number;
  readonly accepted: number;
  /** Accepted and closed at once because `maxConnections` were open. */
  readonly refused: number;
}

export interface TcpService {
  readonly server: net.Server;
  /** The port asked for (0: any free port). */
  readonly configuredPort: number;
  listen(): Promise<ListeningEndpoint>;
  /** Stops accepting; open connections end once flushed, or are cut after CLOSE_GRACE_MS. */
  close(): Promise<void>;
  stats(): TcpServiceStats;
}

interface Tracked {
  readonly startedAt: number;
  readonly started: number;
  outcome: "ok" | "timeout" | "error";
  detail?: string;
}

/** A TCP service with a connection limit, an idle timeout, byte counters and one event per connection. */
export function buildTcpService(options: TcpServiceOptions): TcpService {
  const { service, logger, events, handler, limits } = options;
  const sockets = new Map<net.Socket, Tracked>();
  let accepted = 0;
  let refused = 0;
  let stopping = false;

  const server = net.createServer(
    {
      allowHalfOpen: true,
      noDelay: true,
      ...(options.bufferBytes === undefined ? {} : { highWaterMark: options.bufferBytes }),
    },
    (socket) => {
      accepted += 1;
      const fields = connectionFields(socket);
      const tracked: Tracked = { startedAt: Date.now(), started: performance.now(), outcome: "ok" };
      sockets.set(socket, tracked);
      logger.debug(fields, `${service} connection opened`);
      socket.setTimeout(limits.idleTimeoutMs, () => {
        tracked.outcome = "timeout";
        tracked.detail = `idle for ${limits.idleTimeoutMs} ms`;
        socket.destroy();
      });
      socket.on("error", (error: NodeJS.ErrnoException) => {
        tracked.outcome = "error";
        tracked.detail = error.code ?? error.message;
      });
      socket.on("close", () => {
        sockets.delete(socket);
        const durationMs = performance.now() - tracked.started;
        const counters = { bytesIn: socket.bytesRead, bytesOut: socket.bytesWritten };
        const detail = tracked.detail ?? (stopping ? "server stopping" : undefined);
        // A port check (the switchboard's status probe, a scan) is not news: debug, not info.
        const level = isPortCheck("tcp", { bytesIn: counters.bytesIn, outcome: tracked.outcome }) ? "debug" : "info";
        logger[level](
          { ...fields, ...counters, durationMs: Math.round(durationMs), outcome: tracked.outcome, detail },
          `${service} connection closed`,
        );
        report(events, service, "tcp", {
          startedAt: tracked.startedAt,
          localPort: fields.port,
          remoteAddress: fields.remote,
          remotePort: fields.remotePort,
          ...counters,
          durationMs,
          outcome: tracked.outcome,
          detail,
        });
      });
      handler.serve(socket);
    },
  );
  // Over the limit the kernel has already accepted: Node closes the socket at once and tells us.
  server.maxConnections = limits.maxConnections;
  server.on("drop", (data?: net.DropArgument) => {
    refused += 1;
    const detail = `connection limit ${limits.maxConnections}`;
    const fields = { port: data?.localPort ?? 0, remote: data?.remoteAddress, remotePort: data?.remotePort };
    logger.warn({ ...fields, outcome: "limited", detail }, `${service} connection refused`);
    report(events, service, "tcp", {
      startedAt: Date.now(),
      localPort: fields.port,
      remoteAddress: fields.remote,
      remotePort: fields.remotePort,
      bytesIn: 0,
      bytesOut: 0,
      durationMs: 0,
      outcome: "limited",
      detail,
    });
  });

  return {
    server,
    configuredPort: options.port,
    listen: () => listenTcp(server, { service, transport: "tcp", host: options.host, port: options.port }),
    stats: () => ({ open: sockets.size, accepted, refused }),
    close() {
      return new Promise((resolve) => {
        if (!server.listening) return resolve();
        stopping = true;
        const cut = setTimeout(() => {
          for (const socket of sockets.keys()) socket.destroy();
        }, CLOSE_GRACE_MS);
        cut.unref();
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        for (const socket of sockets.keys()) handler.stop(socket);
      });
    },
  };
}
