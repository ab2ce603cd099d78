import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  environmentWith,
  addrVariable,
  EVENTS_TOKEN_VARIABLE,
  formatAddress,
  newEventsToken,
  rangeClass,
  settleEventsToken,
  SERVICES,
  type AppName,
  type PorthostConfig,
} from "@porthost/ports";
import { isAppMessage, type AppMessage, type ListeningEndpoint } from "@porthost/runner";
import { clientSettings } from "../client-settings.js";
import { asIs, forwardLines } from "../line-forwarder.js";
import { formatLogLine } from "../log-format.js";
import { renderTable } from "../table.js";
import { tryIt } from "../try-it.js";

/** How long the apps may take to stop after Ctrl-C before they are killed. */
export const STOP_TIMEOUT_MS = 8_000; // 8 s

interface AppProcess {
  readonly app: AppName;
  readonly child: ChildProcess;
  outcome?: AppMessage;
  exited: Promise<number | null>;
}

function appMain(app: AppName): string {
  return fileURLToPath(import.meta.resolve(`@porthost/${app}/main`));
}

export function servedApps(): AppName[] {
  return [...new Set(SERVICES.filter((s) => s.implemented).map((s) => s.app))];
}

function startApp(app: AppName, jsonLogs: boolean, env: Record<string, string | undefined>): AppProcess {
  // Own process group: Ctrl-C reaches the supervisor only, which stops each app once, in order.
  const child = spawn(process.execPath, [appMain(app)], {
    stdio: ["ignore", "pipe", "inherit", "ipc"],
    detached: true,
    env,
  });
  const proc: AppProcess = {
    app,
    child,
    exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))),
  };
  forwardLines(child.stdout!, process.stdout, jsonLogs ? asIs : formatLogLine);
  child.on("message", (message) => {
    if (isAppMessage(message) && !proc.outcome) proc.outcome = message;
  });
  return proc;
}

/** Resolves when the app has said it is ready or failed, or has exited. */
function settled(proc: AppProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.outcome) return resolve();
    proc.child.once("message", () => resolve());
    void proc.exited.then(() => resolve());
  });
}

function banner(config: PorthostConfig, endpoints: readonly ListeningEndpoint[]): string {
  const rows = endpoints.map((e) => [
    e.service,
    e.transport,
    String(e.port),
    rangeClass(e.port),
    tryIt(config, config.services[e.service], e.transport),
  ]);
  const settings = clientSettings(config, endpoints);
  return [
    "",
    `porthost is up: one host (${config.host}), one port per service.`,
    "",
    renderTable(["service", "transport", "port", "range", "try it"], rows),
    "",
    ...(settings.length > 0
      ? [`In another terminal, give npx porthost the same settings: ${settings.join(" ")} npx porthost ...`, ""]
      : []),
    `Mail is stored in ${config.dataDir}/Maildir. Connections are logged below. Press Ctrl-C to stop.`,
    "",
  ].join("\n");
}

async function stopAll(procs: readonly AppProcess[]): Promise<void> {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGTERM");
  const timer = setTimeout(() => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
  }, STOP_TIMEOUT_MS);
  await Promise.all(procs.map((p) => p.exited));
  clearTimeout(timer);
}

/**
 * With PORTHOST_HTTP_PORT=0 the kernel picks the web service's port, so the others are told
 * where it really is (`PORTHOST_HTTP_ADDR`) or their connection events would go to port 0.
 */
function webAddressOnceBound(config: PorthostConfig, outcome: AppMessage | undefined): Record<string, string> {
  const http = config.services.http;
  const bound = outcome?.type === "ready" ? outcome.endpoints.find((e) => e.service === "http") : undefined;
  if (http.addr.port !== 0 || !bound) return {};
  return { [addrVariable("http")]: formatAddress({ host: http.addr.host, port: bound.port }) };
}

/**
 * `porthost start`: runs every app as its own process, prints the port table once all
 * listen, and stops them all on Ctrl-C. If any app cannot start, every reason is printed
 * (each taken port by service name) and the exit code is non-zero.
 */
export async function startCommand(config: PorthostConfig, jsonLogs: boolean): Promise<number> {
  // The apps prove their events to the web service with a shared secret; one per run unless set.
  const token = settleEventsToken(config.events, { create: true }).token ?? newEventsToken();
  let env = environmentWith({ [EVENTS_TOKEN_VARIABLE]: token });
  // The web service first: the others report their connections to it from their first one.
  const [first, ...rest] = servedApps().sort((a, b) => Number(b === "web") - Number(a === "web"));
  const procs: AppProcess[] = [];
  if (first) {
    procs.push(startApp(first, jsonLogs, env));
    await settled(procs[0]!);
    env = { ...env, ...webAddressOnceBound(config, procs[0]!.outcome) };
  }
  procs.push(...rest.map((app) => startApp(app, jsonLogs, env)));
  await Promise.all(procs.map(settled));

  const failed = procs.filter((p) => p.outcome?.type !== "ready");
  if (failed.length > 0) {
    await stopAll(procs);
    for (const p of failed) {
      const reason =
        p.outcome?.type === "failed"
          ? p.outcome.message
          : `exited with code ${String(p.child.exitCode)} before listening`;
      // One line per reason: an app that cannot have several ports names each one.
      for (const line of reason.split("\n")) process.stderr.write(`porthost: ${p.app}: ${line}\n`);
    }
    return failed.some((p) => p.outcome?.type === "failed" && p.outcome.code.startsWith("PORTHOST_ERR_ADDR")) ? 1 : 2;
  }

  const endpoints = procs.flatMap((p) => (p.outcome?.type === "ready" ? p.outcome.endpoints : []));
  process.stdout.write(banner(config, endpoints));

  return new Promise((resolve) => {
    let stopping = false;
    const stop = (code: number): void => {
      if (stopping) return;
      stopping = true;
      process.stdout.write("\nstopping porthost...\n");
      void stopAll(procs).then(() => resolve(code));
    };
    process.on("SIGINT", () => stop(0));
    process.on("SIGTERM", () => stop(0));
    for (const p of procs) {
      void p.exited.then((code) => {
        if (stopping) return;
        process.stderr.write(
          `porthost: ${p.app} stopped unexpectedly (exit code ${String(code)}); stopping the others\n`,
        );
        stop(1);
      });
    }
  });
}
