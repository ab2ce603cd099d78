import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { AppName } from "@porthost/ports";
import { isAppMessage, type AppMessage } from "@porthost/runner";
import { asIs, forwardLines } from "../line-forwarder.js";
import { formatLogLine } from "../log-format.js";

/** How an app process ended: an exit code, or the signal that killed it. */
export interface AppExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface AppProcess {
  readonly app: AppName;
  readonly child: ChildProcess;
  /** Its first word over IPC: ready (with its endpoints) or failed (with one line per reason). */
  outcome?: AppMessage;
  readonly exited: Promise<AppExit>;
}

function appMain(app: AppName): string {
  return fileURLToPath(import.meta.resolve(`@porthost/${app}/main`));
}

/** Starts one app as a process of its own; its log lines are forwarded to this process's stdout. */
export function startApp(app: AppName, jsonLogs: boolean, env: Record<string, string | undefined>): AppProcess {
  // Own process group: Ctrl-C reaches the supervisor only, which stops each app once, in order.
  const child = spawn(process.execPath, [appMain(app)], {
    stdio: ["ignore", "pipe", "inherit", "ipc"],
    detached: true,
    env,
  });
  const proc: AppProcess = {
    app,
    child,
    exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal }))),
  };
  forwardLines(child.stdout!, process.stdout, jsonLogs ? asIs : formatLogLine);
  child.on("message", (message) => {
    if (isAppMessage(message) && !proc.outcome) proc.outcome = message;
  });
  // An IPC send to an app that is going away fails; the exit that follows is what counts.
  child.on("error", () => undefined);
  return proc;
}

/** Resolves when the app has said it is ready or failed, or has exited. */
export function settled(proc: AppProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.outcome) return resolve();
    proc.child.once("message", () => resolve());
    void proc.exited.then(() => resolve());
  });
}

export function isRunning(proc: AppProcess): boolean {
  return proc.child.exitCode === null && proc.child.signalCode === null;
}

/** "exit code 1" or "killed by SIGKILL". */
export function describeExit(exit: AppExit): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${String(exit.code)}`;
}
