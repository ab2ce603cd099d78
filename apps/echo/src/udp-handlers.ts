import type dgram from "node:dgram";
import type { EventSink } from "@porthost/events";
import type { Logger } from "@porthost/log";
import type { EchoSettings } from "@porthost/ports";
import { report } from "./connection-events.js";
import { createRateLimiter } from "./rate-limiter.js";
import { createReflectorGuard } from "./reflector-guard.js";

/** At most one info line per this interval about unanswered datagrams, so a flood cannot flood the log. */
export const REFUSAL_LOG_INTERVAL_MS = 1_000; // 1 s

export type DatagramHandler = (
  socket: dgram.Socket,
  message: Buffer,
  remote: dgram.RemoteInfo,
  localPort: number,
) => void;

export interface UdpEchoOptions {
  readonly limits: Pick<EchoSettings, "maxDatagramBytes" | "udpRepliesPerSecond" | "udpBurst">;
  readonly logger: Logger;
  readonly events?: EventSink | undefined;
  /** This host's broadcast addresses; tests pass their own. */
  readonly readBroadcasts?: () => Set<string>;
  /** porthost's own ports (see ReflectorGuardOptions); read at each datagram, so ports bound later count. */
  readonly ownPorts?: ReadonlySet<number>;
}

export interface UdpEchoStats {
  /** Replies handed to the socket (less any the socket reported failed). */
  readonly replied: number;
  readonly limited: number;
}

/**
 * RFC 862 over UDP: one datagram back to its sender for each datagram in, unless the reply
 * would be unsafe (a privileged, broadcast or multicast source, or porthost's own endpoint), too big, or over the
 * source's rate: then nothing goes back, so porthost cannot be used as a reflector.
 */
export function createUdpEcho(options: UdpEchoOptions): { onDatagram: DatagramHandler; stats(): UdpEchoStats } {
  const { limits, logger, events } = options;
  const guard = createReflectorGuard({
    ...(options.readBroadcasts ? { readBroadcasts: options.readBroadcasts } : {}),
    ...(options.ownPorts ? { ownPorts: options.ownPorts } : {}),
  });
  const allow = createRateLimiter({ perSecond: limits.udpRepliesPerSecond, burst: limits.udpBurst });
  let replied = 0;
  let limited = 0;

  // Per-datagram bookkeeping only when someone reads it: this path runs at line rate.
  const debug = logger.isLevelEnabled("debug");
  const watched = debug || events !== undefined;
  let lastRefusalLogMs = Number.NEGATIVE_INFINITY;
  let unlogged = 0;

  const onDatagram: DatagramHandler = (socket, message, remote, localPort) => {
    const refusal =
      message.length > limits.maxDatagramBytes
        ? `datagram of ${message.length} bytes is over ${limits.maxDatagramBytes}`
        : (guard(remote.address, remote.port) ??
          (allow(remote.address) ? undefined : `over ${limits.udpRepliesPerSecond} replies per second`));
    if (refusal !== undefined) {
      limited += 1;
      const now = performance.now();
      if (debug || now - lastRefusalLogMs >= REFUSAL_LOG_INTERVAL_MS) {
        const fields = { port: localPort, remote: remote.address, remotePort: remote.port, bytesIn: message.length };
        const also = unlogged > 0 ? { alsoUnanswered: unlogged } : {};
        logger.info({ ...fields, outcome: "limited", detail: refusal, ...also }, "echo datagram not answered");
        lastRefusalLogMs = now;
        unlogged = 0;
      } else {
        unlogged += 1;
      }
      report(events, "echo", "udp", {
        startedAt: Date.now(),
        localPort,
        remoteAddress: remote.address,
        remotePort: remote.port,
        bytesIn: message.length,
        bytesOut: 0,
        durationMs: 0,
        outcome: "limited",
        detail: refusal,
      });
      return;
    }
    replied += 1;
    if (!watched) return void socket.send(message, remote.port, remote.address);
    const startedAt = Date.now();
    const started = performance.now();
    socket.send(message, remote.port, remote.address, (error) => {
      if (error) replied -= 1;
      const outcome = error ? "error" : "ok";
      const detail = error ? ((error as NodeJS.ErrnoException).code ?? error.message) : undefined;
      if (debug)
        logger.debug(
          {
            port: localPort,
            remote: remote.address,
            remotePort: remote.port,
            bytesIn: message.length,
            outcome,
            detail,
          },
          "echo datagram",
        );
      report(events, "echo", "udp", {
        startedAt,
        localPort,
        remoteAddress: remote.address,
        remotePort: remote.port,
        bytesIn: message.length,
        bytesOut: error ? 0 : message.length,
        durationMs: performance.now() - started,
        outcome,
        detail,
      });
    });
  };
  return { onDatagram, stats: () => ({ replied, limited }) };
}

/** RFC 863 over UDP: every datagram is dropped and nothing is sent back. */
export function createUdpDiscard(options: { logger: Logger; events?: EventSink | undefined }): {
  onDatagram: DatagramHandler;
  stats(): { discarded: number };
} {
  let discarded = 0;
  const debug = options.logger.isLevelEnabled("debug");
  const onDatagram: DatagramHandler = (_socket, message, remote, localPort) => {
    discarded += 1;
    if (debug)
      options.logger.debug(
        { port: localPort, remote: remote.address, remotePort: remote.port, bytesIn: message.length },
        "discard datagram",
      );
    report(options.events, "discard", "udp", {
      startedAt: Date.now(),
      localPort,
      remoteAddress: remote.address,
      remotePort: remote.port,
      bytesIn: message.length,
      bytesOut: 0,
      durationMs: 0,
      outcome: "ok",
    });
  };
  return { onDatagram, stats: () => ({ discarded }) };
}
