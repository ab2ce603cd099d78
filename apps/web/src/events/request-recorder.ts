import type { Socket } from "node:net";
import { connectionFields, type Logger } from "@porthost/log";
import type { EventHub } from "./event-hub.js";
import { httpEvent, type ServedRequest } from "./http-event.js";

export type RequestRecorder = (served: ServedRequest) => void;

/** Each answered request becomes a connection event on the hub and one log line with its ports. */
export function requestRecorder(hub: EventHub, logger: Logger): RequestRecorder {
  // A connection's port fields are the same on every request it carries (keep-alive): a child
  // logger per connection writes them out once, not on every line.
  const connectionLoggers = new WeakMap<Socket, Logger>();
  return (served) => {
    const event = httpEvent(served);
    if (event) hub.publish(event);
    // The services' own event reports (no event of their own) would double every log line: debug only.
    const level = event ? "info" : "debug";
    if (!logger.isLevelEnabled(level)) return;
    let connectionLogger = connectionLoggers.get(served.socket);
    if (connectionLogger === undefined) {
      connectionLogger = logger.child(connectionFields(served.socket));
      connectionLoggers.set(served.socket, connectionLogger);
    }
    connectionLogger[level](
      { method: served.method, url: served.url, status: served.status, ms: Math.round(served.durationMs) },
      "request",
    );
  };
}
