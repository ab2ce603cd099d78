import type dgram from "node:dgram";
import type { EventSink } from "@porthost/events";
import type { Logger } from "@porthost/log";
import type { EchoSettings } from "@porthost/ports";
import { report } from "./connection-events.js";
import { createRateLimiter } from "./rate-limiter.js";
import { createReflectorGuard } from "./reflector-guard.js";

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
}

export interface UdpEchoStats {
  readonly replied: number;
  readonly limited: number;
}

/**
 * RFC 862 over UDP: one datagram back to its sender for each datagram in, unless the reply
 * would be unsafe (a privileged, broadcast or multicast source), too big, or over the
 * source's rate: then nothing goes back, so porthost cannot be used as a reflector.
 */
export function createUdpEcho(options: UdpEchoOptions): { onDatagram: DatagramHandler; stats(): UdpEchoStats } {
  const { limits, logger, events } = options;
  const guard = createReflectorGuard(options.readBroadcasts);
  const allow = createRateLimiter({ perSecond: limits.udpRepliesPerSecond, burst: limits.udpBurst });
  let replied = 0;
  let limited = 0;

  const onDatagram: DatagramHandler = (socket, message, remote, localPort) => {
    const startedAt = Date.now();
    const started = performance.now();
    const fields = { port: localPort, remote: remote.address, remotePort: remote.port, bytesIn: message.length };
    const refusal =
      message.length > limits.maxDatagramBytes
        ? `datagram of ${message.length} bytes is over ${limits.maxDatagramBytes}`
        : (guard(remote.address, remote.port) ??
          (allow(remote.address) ? undefined : `over ${limits.udpRepliesPerSecond} replies per second`));
    if (refusal !== undefined) {
      limited += 1;
      logger.debug({ ...fields, outcome: "limited", detail: refusal }, "echo datagram not answered");
      report(events, "echo", "udp", {
        startedAt,
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
    socket.send(message, remote.port, remote.address, (error) => {
      if (!error) replied += 1;
      logger.debug({ ...fields, outcome: error ? "error" : "ok" }, "echo datagram");
      report(events, "echo", "udp", {
        startedAt,
        localPort,
        remoteAddress: remote.address,
        remotePort: remote.port,
        bytesIn: message.length,
        bytesOut: error ? 0 : message.length,
        durationMs: performance.now() - started,
        outcome: error ? "error" : "ok",
        detail: error ? ((error as NodeJS.ErrnoException).code ?? error.message) : undefined,
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
  const onDatagram: DatagramHandler = (_socket, message, remote, localPort) => {
    discarded += 1;
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
