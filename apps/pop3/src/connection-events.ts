import { connectionEvent, tlsFailureOutcome, type ConnectionTls, type EventSink, type Outcome } from "@porthost/events";
import type { ConnectionFields } from "@porthost/log";
import type { SessionTally } from "./pop3-session.js";

export interface ClosedConnection {
  readonly fields: ConnectionFields;
  readonly startedAt: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly outcome: Outcome;
  readonly detail: string;
  readonly tls?: ConnectionTls | undefined;
  /** The session on record (its transcript's id). */
  readonly session?: string | undefined;
}

/** How a session ended, in the closed set the switchboard colours by. */
export function sessionOutcome(tally: SessionTally): Outcome {
  if (tally.tlsFailure !== undefined) return tlsFailureOutcome(tally.tlsFailure);
  if (tally.error !== undefined) return "error";
  if (tally.endedBy === "idle") return "timeout";
  if (tally.failedLogins > 0 && !tally.loggedIn) return "refused";
  return "ok";
}

/** One line about a session: who logged in and what became of the mail. */
export function sessionDetail(tally: SessionTally): string {
  if (tally.tlsFailure !== undefined) return tally.tlsFailure;
  const parts = [
    tally.loggedIn
      ? `user ${tally.user ?? ""}`
      : tally.failedLogins > 0
        ? `login refused ${tally.failedLogins}x`
        : "no login",
  ];
  if (tally.loggedIn) parts.push(`${tally.retrieved} retrieved`, `${tally.deleted} deleted`);
  if (tally.tls) parts.push("TLS");
  if (tally.endedBy) parts.push(tally.endedBy === "idle" ? "idle timeout" : "server stopping");
  if (tally.error) parts.push(tally.error);
  return parts.join(", ");
}

/** Reports one connection of `service` (pop3, pop3s) as a connection event; no sink (events off) costs nothing. */
export function reportConnection(
  events: EventSink | undefined,
  service: "pop3" | "pop3s",
  connection: ClosedConnection,
): void {
  if (!events) return;
  const { fields } = connection;
  const endpoints = { localPort: fields.port, remoteAddress: fields.remote, remotePort: fields.remotePort };
  events.send(connectionEvent(service, "tcp", endpoints, connection));
}
