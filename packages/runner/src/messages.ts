import type { AppRestart } from "@porthost/events";
import type { ListeningEndpoint } from "./listen.js";

/** What an app process tells its supervisor (`porthost start`) over the IPC channel. */
export type AppMessage =
  | { readonly type: "ready"; readonly app: string; readonly endpoints: readonly ListeningEndpoint[] }
  | { readonly type: "failed"; readonly app: string; readonly code: string; readonly message: string };

export function isAppMessage(value: unknown): value is AppMessage {
  if (typeof value !== "object" || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === "ready" || type === "failed";
}

/** What the supervisor tells an app: every restart it has kept so far (the web service shows them). */
export interface SupervisorMessage {
  readonly type: "restarts";
  readonly restarts: readonly AppRestart[];
}

export function isSupervisorMessage(value: unknown): value is SupervisorMessage {
  if (typeof value !== "object" || value === null) return false;
  const message = value as { type?: unknown; restarts?: unknown };
  return message.type === "restarts" && Array.isArray(message.restarts);
}
