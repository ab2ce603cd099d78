import type { Logger } from "@porthost/log";
import type { EventHub } from "./event-hub.js";
import { httpEvent, type ServedRequest } from "./http-event.js";

export type RequestRecorder = (served: ServedRequest) => void;

/** Each answered request becomes a connection event on the hub and one log line with its ports. */
export function requestRecorder(hub: EventHub, logger: Logger): RequestRecorder {
  return (served) => {
    const event = httpEvent(served);
    if (event) hub.publish(event);
    // The services' own event reports (no event of their own) would double every log line: debug only.
    const level = event ? "info" : "debug";
    if (!logger.isLevelEnabled(level)) return;
    logger[level](
      {
        port: served.socket.localPort,
        remote: served.socket.remoteAddress,
        remotePort: served.socket.remotePort,
        method: served.method,
        url: served.url,
        status: served.status,
        ms: Math.round(served.durationMs),
      },
      "request",
    );
  };
}
