import { EVENTS_PATH } from "@porthost/events";
import type { WebApp } from "../api/web-app.js";
import { RestartListSchema } from "./event-schemas.js";
import type { RestartLog } from "./restart-log.js";

export const RESTARTS_PATH = `${EVENTS_PATH}/restarts`;

/** GET /api/events/restarts: the apps porthost start restarted, oldest first (empty under compose). */
export function registerRestartRoute(app: WebApp, restarts: RestartLog): void {
  app.get(
    RESTARTS_PATH,
    {
      schema: {
        summary: "Apps that stopped on their own and were restarted by porthost start (with backoff)",
        tags: ["events"],
        response: { 200: RestartListSchema },
      },
    },
    async () => ({ restarts: [...restarts.all()] }),
  );
}

/** One restart on the event stream: `event: restart`, no id (ids number connection events). */
export function restartFrame(restart: unknown): string {
  return `event: restart\ndata: ${JSON.stringify(restart)}\n\n`;
}
