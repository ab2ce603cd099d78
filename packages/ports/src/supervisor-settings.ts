import { readChoice, type Env } from "./env-values.js";

/** `always`: an app that stops on its own is started again, with backoff. `never`: everything stops (CI). */
export const RESTART_POLICIES = ["always", "never"] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

export const RESTART_VARIABLE = "PORTHOST_RESTART";

export interface SupervisorSettings {
  /** What `porthost start` does when an app exits without being asked to. */
  readonly restart: RestartPolicy;
  /** The pause before the first restart; each further one doubles it. */
  readonly restartFirstDelayMs: number;
  readonly restartMaxDelayMs: number;
  /** An app that served this long before it stopped starts again from the first delay. */
  readonly restartResetAfterMs: number;
}

/** Every supervisor default, in one place; the policy has `PORTHOST_RESTART`, the delays are fixed. */
export const SUPERVISOR_DEFAULTS: SupervisorSettings = Object.freeze({
  restart: "always",
  restartFirstDelayMs: 1_000, // 1 s, then 2, 4, 8, 16 s
  restartMaxDelayMs: 30_000, // 30 s
  restartResetAfterMs: 60_000, // a healthy minute
});

/** `PORTHOST_RESTART`: always (default) or never; a bad value throws one line naming the variable. */
export function readSupervisorSettings(env: Env): SupervisorSettings {
  return Object.freeze({
    ...SUPERVISOR_DEFAULTS,
    restart: readChoice(env, RESTART_VARIABLE, SUPERVISOR_DEFAULTS.restart, RESTART_POLICIES),
  });
}
