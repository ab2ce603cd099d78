import { connectionEvent, type Endpoints, type EventSink, type EventTally } from "@porthost/events";
import type { Transport } from "@porthost/ports";

export type EchoServiceName = "echo" | "discard";

/** What a connection or datagram's report says besides its service and transport. */
export type EventFields = Endpoints & EventTally;

/** Reports one connection or datagram; no sink (events off) costs nothing. */
export function report(
  events: EventSink | undefined,
  service: EchoServiceName,
  transport: Transport,
  fields: EventFields,
): void {
  if (events) events.send(connectionEvent(service, transport, fields, fields));
}
