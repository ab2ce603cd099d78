import { Type, type Static } from "typebox";

/** The restarts the supervisor keeps and hands to the web service (the newest this many). */
export const MAX_KEPT_RESTARTS = 50;

const time = (description: string) =>
  Type.String({
    format: "date-time",
    pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,6})?Z$",
    description,
  });

/**
 * One app of `porthost start` that stopped on its own and was started again: what the supervisor
 * logs, and what the switchboard shows beside the services.
 */
export const AppRestartSchema = Type.Object(
  {
    id: Type.Integer({ minimum: 1, description: "numbered in order within one run of porthost start" }),
    app: Type.String({
      pattern: "^[a-z][a-z0-9-]*$",
      maxLength: 32,
      description: "the app process: web, smtp, echo, pop3",
    }),
    exitedAt: time("when it stopped (ISO 8601, UTC)"),
    exitCode: Type.Union([Type.Integer(), Type.Null()], { description: "its exit code, null when a signal ended it" }),
    signal: Type.Union([Type.String({ pattern: "^SIG[A-Z0-9]+$", maxLength: 16 }), Type.Null()], {
      description: "the signal that ended it (SIGKILL, SIGSEGV...), or null",
    }),
    restartInMs: Type.Integer({ minimum: 0, description: "the pause before it was started again (backoff)" }),
    restart: Type.Integer({ minimum: 1, description: "how many times this app has been restarted in this run" }),
    backAt: Type.Optional(time("when it was listening again; absent while it is still down")),
  },
  { additionalProperties: false },
);
export type AppRestart = Static<typeof AppRestartSchema>;
