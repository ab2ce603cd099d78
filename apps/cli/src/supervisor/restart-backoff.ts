import type { SupervisorSettings } from "@porthost/ports";

export type BackoffSettings = Pick<
  SupervisorSettings,
  "restartFirstDelayMs" | "restartMaxDelayMs" | "restartResetAfterMs"
>;

/**
 * The pauses before one app's restarts: the first delay, doubled each time up to the cap, and
 * back to the first once the app has served a healthy while (restartResetAfterMs) before stopping.
 */
export class RestartBackoff {
  private streak = 0;
  /** Restarts of this app in this run, for the log and the switchboard. */
  count = 0;

  constructor(private readonly settings: BackoffSettings) {}

  /** The pause before starting again an app that served `servedMs` (0: it never got to listen). */
  next(servedMs: number): number {
    if (servedMs >= this.settings.restartResetAfterMs) this.streak = 0;
    const delay = Math.min(this.settings.restartFirstDelayMs * 2 ** this.streak, this.settings.restartMaxDelayMs);
    this.streak += 1;
    this.count += 1;
    return delay;
  }
}
