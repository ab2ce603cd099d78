import type { Server, Socket } from "node:net";
import {
  connectionEvent,
  socketEndpoints,
  tlsFailureDetail,
  tlsFailureOutcome,
  TLS_FAILURE_PREFIX,
  type ConnectionTls,
  type Endpoints,
  type EventSink,
  type Outcome,
} from "@porthost/events";
import { onAcceptedSocketClose } from "./porthost-smtp-server.js";

/** What happened on one SMTP connection, for its event's outcome, detail and tls. */
interface Tally {
  stored: number;
  refused: number;
  lastRefusal?: string;
  /** A TLS handshake began (implicit TLS, or STARTTLS answered 220). */
  tlsStarted: boolean;
  tls?: ConnectionTls;
  tlsFailure?: string;
  /** The session on record for it (SmtpSessionRecords). */
  session?: string;
}

/**
 * Reports every connection of one SMTP port (smtp, submission or submissions) as one connection
 * event when it closes: both ports, bytes each way, how long, the TLS it ran under, and what
 * became of its messages. The server's hooks tell it through `stored`, `refused`, `secured` and
 * its TLS watch, keyed by the client's address and port.
 */
export class SmtpConnectionEvents {
  private readonly tallies = new Map<string, Tally>();

  constructor(
    private readonly events: EventSink,
    /** The service named in each event: the port table's name for the port. */
    private readonly service: string,
  ) {}

  private static key(address: string | undefined, port: number | undefined): string {
    return `${address ?? ""}|${port ?? 0}`;
  }

  private tally(address: string | undefined, port: number | undefined): Tally | undefined {
    return this.tallies.get(SmtpConnectionEvents.key(address, port));
  }

  /** Follows each TCP connection the server accepts (smtp-server's own handler runs as well). */
  watch(server: Server): void {
    server.on("connection", (socket: Socket) => this.follow(socket));
  }

  stored(address: string | undefined, port: number | undefined): void {
    const tally = this.tally(address, port);
    if (tally) tally.stored += 1;
  }

  refused(address: string | undefined, port: number | undefined, reason: string): void {
    const tally = this.tally(address, port);
    if (!tally) return;
    tally.refused += 1;
    tally.lastRefusal = reason;
  }

  tlsStarted(client: Endpoints): void {
    const tally = this.tally(client.remoteAddress, client.remotePort);
    if (tally) tally.tlsStarted = true;
  }

  secured(address: string | undefined, port: number | undefined, tls: ConnectionTls): void {
    const tally = this.tally(address, port);
    if (tally) tally.tls = tls;
  }

  session(client: Endpoints, id: string): void {
    const tally = this.tally(client.remoteAddress, client.remotePort);
    if (tally) tally.session = id;
  }

  tlsFailed(client: Endpoints, error: Error): void {
    const tally = this.tally(client.remoteAddress, client.remotePort);
    if (tally) tally.tlsFailure ??= tlsFailureDetail(error);
  }

  private follow(socket: Socket): void {
    const startedAt = Date.now();
    const endpoints = socketEndpoints(socket);
    const key = SmtpConnectionEvents.key(socket.remoteAddress, socket.remotePort);
    const tally: Tally = { stored: 0, refused: 0, tlsStarted: false };
    this.tallies.set(key, tally);
    onAcceptedSocketClose(socket, (hadError) => {
      this.tallies.delete(key);
      // A handshake that began and never finished failed, even when the client just hung up.
      const tlsFailure =
        tally.tlsFailure ??
        (tally.tlsStarted && !tally.tls ? `${TLS_FAILURE_PREFIX}the client closed the connection` : undefined);
      let outcome: Outcome = hadError ? "error" : tally.refused > 0 && tally.stored === 0 ? "refused" : "ok";
      const parts = [`${tally.stored} stored`];
      if (tally.refused > 0) parts.push(`${tally.refused} refused (${tally.lastRefusal ?? "?"})`);
      let detail = parts.join(", ");
      if (tlsFailure) {
        outcome = tlsFailureOutcome(tlsFailure);
        detail = tlsFailure;
      }
      const ended = {
        startedAt,
        bytesIn: socket.bytesRead,
        bytesOut: socket.bytesWritten,
        outcome,
        detail,
        tls: tally.tls,
        session: tally.session,
      };
      this.events.send(connectionEvent(this.service, "tcp", endpoints, ended));
    });
  }
}
