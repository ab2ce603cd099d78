import { resolveTls } from "@porthost/devcert";
import { maildirDirs } from "@porthost/mailstore";
import {
  checkDataDir,
  environmentWith,
  EVENTS_TOKEN_VARIABLE,
  isPortConfigError,
  newEventsToken,
  rangeClass,
  readConfig,
  settleEventsToken,
  SERVICES,
  type AppName,
  type PorthostConfig,
} from "@porthost/ports";
import type { ListeningEndpoint } from "@porthost/runner";
import { clientSettings } from "../client-settings.js";
import { settled, startApp, type AppProcess } from "../supervisor/app-process.js";
import { pickPorts } from "../supervisor/pick-ports.js";
import { onStopRequest } from "../supervisor/stop-triggers.js";
import { stopAll, Supervisor } from "../supervisor/supervisor.js";
import { renderTable } from "../table.js";
import { tryIt } from "../try-it.js";

export function servedApps(): AppName[] {
  return [...new Set(SERVICES.filter((s) => s.implemented).map((s) => s.app))];
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

/**
 * `porthost start`: runs every app as its own process, prints the port table once all listen,
 * keeps them running (an app that stops on its own is restarted with backoff, unless
 * PORTHOST_RESTART=never), and stops them all on SIGINT, SIGTERM or SIGHUP, or when its parent
 * process dies. If any app cannot start, every reason is printed (each taken port by service
 * name) and the exit code is non-zero.
 */
export async function startCommand(asSet: PorthostConfig, jsonLogs: boolean): Promise<number> {
  // Before anything listens: a data directory that cannot take mail stops start-up with one line.
  checkDataDir(asSet.dataDir, maildirDirs(asSet.dataDir));
  // Ports set to 0 are picked once, here, and handed to every app as ordinary settings.
  let picked: Record<string, string>;
  try {
    picked = await pickPorts(asSet);
  } catch (error) {
    if (!isPortConfigError(error)) throw error;
    process.stderr.write(`porthost: ${error.message}\n`);
    return error.code.startsWith("PORTHOST_ERR_ADDR") ? 1 : 2;
  }
  const config = Object.keys(picked).length > 0 ? readConfig(environmentWith(picked)) : asSet;
  // The dev CA and leaf made once here, so the apps that serve TLS do not race to make them.
  await resolveTls(config);
  let stopReason: string | undefined;
  let wake: () => void = () => undefined;
  const stopRequested = new Promise<void>((resolve) => (wake = resolve));
  const requestStop = (reason: string): void => {
    if (stopReason !== undefined) return;
    stopReason = reason;
    wake();
  };
  const removeTriggers = onStopRequest(requestStop);
  try {
    // The apps prove their events to the web service with a shared secret; one per run unless set.
    const token = settleEventsToken(config.events, { create: true }).token ?? newEventsToken();
    const env = environmentWith({ ...picked, [EVENTS_TOKEN_VARIABLE]: token });
    // The web service first: the others report their connections to it from their first one.
    const [first, ...rest] = servedApps().sort((a, b) => Number(b === "web") - Number(a === "web"));
    const procs: AppProcess[] = [];
    if (first) {
      procs.push(startApp(first, jsonLogs, env));
      await Promise.race([settled(procs[0]!), stopRequested]);
    }
    if (stopReason === undefined) procs.push(...rest.map((app) => startApp(app, jsonLogs, env)));
    await Promise.race([Promise.all(procs.map(settled)), stopRequested]);
    if (stopReason !== undefined) {
      await stopAll(procs);
      return 0;
    }

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

    let exitCode = 0;
    const supervisor = new Supervisor({
      settings: config.supervisor,
      jsonLogs,
      say: (line) => process.stderr.write(`${line}\n`),
      onGiveUp: () => {
        exitCode = 1;
        requestStop("an app stopped");
      },
    });
    supervisor.adopt(procs, env);
    await stopRequested;
    process.stdout.write(`\nstopping porthost (${stopReason ?? "asked to"})...\n`);
    await supervisor.stop();
    return exitCode;
  } finally {
    removeTriggers();
  }
}
