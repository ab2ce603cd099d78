import type { Server, Socket } from "node:net";
import { connectionEvent, socketEndpoints, type EventSink, type Outcome } from "@porthost/events";

/** What happened to the messages of one SMTP connection, for its event's outcome and detail. */
interface Tally {
  stored: number;
  refused: number;
  lastRefusal?: string;
}

/**
 * Reports every SMTP connection as one connection event when it closes: both ports, bytes
 * each way, how long, and what became of its messages. onData tells it through `stored` and
 * `refused`, keyed by the client's address and port.
 */
export class SmtpConnectionEvents {
  private readonly tallies = new Map<string, Tally>();

  constructor(private readonly events: EventSink) {}

  private static key(address: string | undefined, port: number | undefined): string {
    return `${address ?? ""}|${port ?? 0}`;
  }

  /** Follows each TCP connection the server accepts (smtp-server's own handler runs as well). */
  watch(server: Server): void {
    server.on("connection", (socket: Socket) => this.follow(socket));
  }

  stored(address: string | undefined, port: number | undefined): void {
    const tally = this.tallies.get(SmtpConnectionEvents.key(address, port));
    if (tally) tally.stored += 1;
  }

  refused(address: string | undefined, port: number | undefined, reason: string): void {
    const tally = this.tallies.get(SmtpConnectionEvents.key(address, port));
    if (!tally) return;
    tally.refused += 1;
    tally.lastRefusal = reason;
  }

  private follow(socket: Socket): void {
    const startedAt = Date.now();
    const endpoints = socketEndpoints(socket);
    const key = SmtpConnectionEvents.key(socket.remoteAddress, socket.remotePort);
    const tally: Tally = { stored: 0, refused: 0 };
    this.tallies.set(key, tally);
    socket.once("close", (hadError) => {
      this.tallies.delete(key);
      const outcome: Outcome = hadError ? "error" : tally.refused > 0 && tally.stored === 0 ? "refused" : "ok";
      const parts = [`${tally.stored} stored`];
      if (tally.refused > 0) parts.push(`${tally.refused} refused (${tally.lastRefusal ?? "?"})`);
      const detail = parts.join(", ");
      const ended = { startedAt, bytesIn: socket.bytesRead, bytesOut: socket.bytesWritten, outcome, detail };
      this.events.send(connectionEvent("smtp", "tcp", endpoints, ended));
    });
  }
}
