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
