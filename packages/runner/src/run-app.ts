import { isPortConfigError, readConfig, settleEventsToken, type AppName, type PorthostConfig } from "@porthost/ports";
import { createEventSender, type AppRestart, type EventSender, type EventSink } from "@porthost/events";
import { createLogger, type Logger } from "@porthost/log";
import type { ListeningEndpoint } from "./listen.js";
import { isSupervisorMessage, type AppMessage } from "./messages.js";

export interface RunningApp {
  readonly endpoints: readonly ListeningEndpoint[];
  /** Stops accepting, finishes or refuses what is in flight, and resolves when all is closed. */
  close(): Promise<void>;
  /** Told every restart the supervisor has kept, each time the list changes (the web service shows them). */
  onRestarts?(restarts: readonly AppRestart[]): void;
}

/**
 * Starts an app. `connectionEvents()` gives the sender that reports its connections to the web
 * service (made on first call, closed by the runner after the app), or undefined when events
 * are off; an app that receives events (web) never calls it.
 */
export type StartApp = (
  config: PorthostConfig,
  logger: Logger,
  connectionEvents: () => EventSink | undefined,
) => Promise<RunningApp>;

/** How long a graceful stop may take before the process exits anyway. */
export const CLOSE_TIMEOUT_MS = 5_000; // 5 s

/** Exit codes: 2 for a bad setting, 1 for a port that cannot be bound or another failure. */
export const EXIT_BAD_CONFIG = 2;
export const EXIT_FAILED = 1;

/** Reports to the supervisor when there is one; otherwise a failure is one line on stderr. */
function tell(message: AppMessage): void {
  // Started by a supervisor that has gone already (its output closed early): nobody to tell.
  if (process.send) {
    if (process.connected) process.send(message);
  } else if (message.type === "failed") {
    for (const line of message.message.split("\n")) process.stderr.write(`porthost ${message.app}: ${line}\n`);
  }
}

/**
 * The whole of an app's main.ts: load the config, start, report, and stop on SIGTERM/SIGINT
 * (or when the supervisor goes away). Configuration and port errors end the process with
 * one line on stderr, never a stack trace.
 */
export async function runApp(app: AppName, start: StartApp): Promise<void> {
  let config: PorthostConfig;
  try {
    const loaded = readConfig();
    // The web service receives events, so it makes the shared token file when there is none.
    config = Object.freeze({ ...loaded, events: settleEventsToken(loaded.events, { create: app === "web" }) });
  } catch (error) {
    if (!isPortConfigError(error)) throw error;
    tell({ type: "failed", app, code: error.code, message: error.message });
    process.exit(EXIT_BAD_CONFIG);
  }
  const logger = createLogger({ service: app, level: config.logLevel });

  let sender: EventSender | undefined;
  const connectionEvents = (): EventSink | undefined => {
    sender ??= createEventSender({ target: config.services.http.addr, token: config.events.token, logger });
    return sender.enabled ? sender : undefined;
  };
  let running: RunningApp;
  try {
    running = await start(config, logger, connectionEvents);
  } catch (error) {
    if (!isPortConfigError(error)) {
      logger.fatal({ err: error }, "could not start");
      process.exit(EXIT_FAILED);
    }
    tell({ type: "failed", app, code: error.code, message: error.message });
    process.exit(
      error.code === "PORTHOST_ERR_ADDR_IN_USE" || error.code === "PORTHOST_ERR_PORT_PRIVILEGED"
        ? EXIT_FAILED
        : EXIT_BAD_CONFIG,
    );
  }

  for (const endpoint of running.endpoints) {
    logger.info(
      { port: endpoint.port, transport: endpoint.transport, host: endpoint.host, for: endpoint.service },
      "listening",
    );
  }
  tell({ type: "ready", app, endpoints: running.endpoints });

  let stopping = false;
  const stop = (reason: string): void => {
    if (stopping) {
      process.exit(EXIT_FAILED);
    }
    stopping = true;
    logger.info({ reason }, "stopping");
    const timer = setTimeout(() => {
      logger.warn({ timeoutMs: CLOSE_TIMEOUT_MS }, "did not stop in time; exiting");
      process.exit(EXIT_FAILED);
    }, CLOSE_TIMEOUT_MS);
    timer.unref();
    // The app first, so that its last connections' events are queued before the sender flushes.
    running
      .close()
      .then(() => sender?.close())
      .then(
        () => {
          logger.info("stopped");
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, "error while stopping");
          process.exit(EXIT_FAILED);
        },
      );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  // A supervisor that dies must not leave its apps running, even one gone before this was set up.
  process.on("disconnect", () => stop("supervisor gone"));
  process.on("message", (message) => {
    if (isSupervisorMessage(message)) running.onRestarts?.(message.restarts);
  });
  if (process.send && !process.connected) stop("supervisor gone");
}
