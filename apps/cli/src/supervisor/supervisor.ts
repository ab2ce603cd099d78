import { MAX_KEPT_RESTARTS, type AppRestart } from "@porthost/events";
import type { AppName, SupervisorSettings } from "@porthost/ports";
import type { SupervisorMessage } from "@porthost/runner";
import { describeExit, isRunning, settled, startApp, type AppExit, type AppProcess } from "./app-process.js";
import { RestartBackoff } from "./restart-backoff.js";

/** How long the apps may take to stop before they are killed (each app gives itself 5 s). */
export const STOP_TIMEOUT_MS = 6_000; // 6 s

export interface SupervisorOptions {
  readonly settings: SupervisorSettings;
  readonly jsonLogs: boolean;
  /** One line for the person watching (stderr). */
  readonly say: (line: string) => void;
  /** When the policy is `never` and an app stopped on its own: everything is stopping. */
  readonly onGiveUp: () => void;
}

interface SupervisedApp {
  readonly app: AppName;
  proc: AppProcess;
  /** Its environment: every port in it is a number (start picked those set to 0), so a restart comes back on the same ones. */
  readonly env: Record<string, string | undefined>;
  readonly backoff: RestartBackoff;
  readyAt: number | undefined;
  timer?: NodeJS.Timeout;
  /** The restart being waited for, completed when the app listens again. */
  pending?: AppRestart;
}

function clock(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/**
 * Keeps every app of `porthost start` running once all of them listen: an app that stops on its
 * own is started again after a backoff, on the ports it had, while the others keep serving. Each
 * restart is one log line, and the web service is told the list to show on the switchboard.
 */
export class Supervisor {
  private readonly apps: SupervisedApp[] = [];
  private readonly restarts: AppRestart[] = [];
  private nextRestartId = 1;
  private stopping = false;

  constructor(private readonly options: SupervisorOptions) {}

  /** Takes over apps that are all listening (their `ready` told their endpoints). */
  adopt(procs: readonly AppProcess[], env: Record<string, string | undefined>): void {
    const now = Date.now();
    for (const proc of procs) {
      const supervised: SupervisedApp = {
        app: proc.app,
        proc,
        env,
        backoff: new RestartBackoff(this.options.settings),
        readyAt: now,
      };
      this.apps.push(supervised);
      this.watch(supervised);
    }
  }

  /** The processes running now. */
  processes(): AppProcess[] {
    return this.apps.map((a) => a.proc);
  }

  /** Stops every app (SIGTERM, then SIGKILL after STOP_TIMEOUT_MS) and any restart still waiting. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const a of this.apps) clearTimeout(a.timer);
    await stopAll(this.processes());
  }

  private watch(supervised: SupervisedApp): void {
    const { proc } = supervised;
    void proc.exited.then((exit) => {
      if (this.stopping || supervised.proc !== proc) return;
      this.exited(supervised, exit);
    });
  }

  private exited(supervised: SupervisedApp, exit: AppExit): void {
    const { app } = supervised;
    if (this.options.settings.restart === "never") {
      this.options.say(`porthost: ${app} stopped unexpectedly (${describeExit(exit)}); stopping the others`);
      this.options.onGiveUp();
      return;
    }
    const now = Date.now();
    const served = supervised.readyAt === undefined ? 0 : now - supervised.readyAt;
    supervised.readyAt = undefined;
    const delay = supervised.backoff.next(served);
    this.options.say(
      `porthost: ${app} stopped unexpectedly (${describeExit(exit)}) at ${clock(now)}; restarting it in ${seconds(delay)}, at ${clock(now + delay)} (restart ${supervised.backoff.count})`,
    );
    const restart: AppRestart = {
      id: this.nextRestartId++,
      app,
      exitedAt: new Date(now).toISOString(),
      exitCode: exit.code,
      signal: exit.signal,
      restartInMs: delay,
      restart: supervised.backoff.count,
    };
    supervised.pending = restart;
    this.keep(restart);
    supervised.timer = setTimeout(() => void this.restart(supervised), delay);
  }

  private async restart(supervised: SupervisedApp): Promise<void> {
    if (this.stopping) return;
    const proc = startApp(supervised.app, this.options.jsonLogs, supervised.env);
    supervised.proc = proc;
    this.watch(supervised);
    await settled(proc);
    if (this.stopping || supervised.proc !== proc) return;
    const outcome = proc.outcome;
    if (outcome?.type === "failed") {
      for (const line of outcome.message.split("\n")) this.options.say(`porthost: ${supervised.app}: ${line}`);
      return; // it exits next, and the backoff goes on
    }
    if (outcome?.type !== "ready") return;
    supervised.readyAt = Date.now();
    const pending = supervised.pending;
    supervised.pending = undefined;
    if (pending) this.keep({ ...pending, backAt: new Date(supervised.readyAt).toISOString() });
    // A restarted web service has lost the list: it gets it again, this entry included.
    if (supervised.app === "web" && !pending) this.tellWeb();
    const ports = outcome.endpoints.map((e) => `${e.port}/${e.transport}`).join(", ");
    this.options.say(`porthost: ${supervised.app} is back, listening on ${ports}`);
  }

  /** Adds or updates a restart in the kept list (the newest MAX_KEPT_RESTARTS) and tells the web service. */
  private keep(restart: AppRestart): void {
    const at = this.restarts.findIndex((r) => r.id === restart.id);
    if (at >= 0) this.restarts[at] = restart;
    else this.restarts.push(restart);
    this.restarts.splice(0, Math.max(0, this.restarts.length - MAX_KEPT_RESTARTS));
    this.tellWeb();
  }

  private tellWeb(): void {
    const web = this.apps.find((a) => a.app === "web");
    if (!web || !isRunning(web.proc) || web.readyAt === undefined || !web.proc.child.connected) return;
    const message: SupervisorMessage = { type: "restarts", restarts: this.restarts };
    web.proc.child.send(message, () => undefined);
  }
}

/** SIGTERM to every app still running, SIGKILL to those still there after STOP_TIMEOUT_MS. */
export async function stopAll(procs: readonly AppProcess[]): Promise<void> {
  for (const p of procs) if (isRunning(p)) p.child.kill("SIGTERM");
  const timer = setTimeout(() => {
    for (const p of procs) if (isRunning(p)) p.child.kill("SIGKILL");
  }, STOP_TIMEOUT_MS);
  await Promise.all(procs.map((p) => p.exited));
  clearTimeout(timer);
}
