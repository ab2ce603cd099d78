import type { ConnectionEvent, EventSink, Outcome } from "@porthost/events";
import type { Transport } from "@porthost/ports";

export type EchoServiceName = "echo" | "discard";

export interface EventFields {
  readonly startedAt: number;
  readonly localPort: number;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly durationMs: number;
  readonly outcome: Outcome;
  readonly detail?: string | undefined;
}

/** Reports one connection or datagram; no sink (events off) costs nothing. */
export function report(
  events: EventSink | undefined,
  service: EchoServiceName,
  transport: Transport,
  fields: EventFields,
): void {
  if (!events) return;
  const event: ConnectionEvent = {
    time: new Date(fields.startedAt).toISOString(),
    service,
    transport,
    localPort: fields.localPort,
    remoteAddress: fields.remoteAddress ?? "0.0.0.0",
    remotePort: fields.remotePort ?? 0,
    bytesIn: fields.bytesIn,
    bytesOut: fields.bytesOut,
    durationMs: Math.round(fields.durationMs * 1000) / 1000,
    outcome: fields.outcome,
    ...(fields.detail === undefined ? {} : { detail: fields.detail }),
  };
  events.send(event);
}
