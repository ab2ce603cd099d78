import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cleanEnvironment, SERVICE_NAMES } from "@porthost/ports";
import { startPorthost as startPorthostCommand } from "@porthost/testkit";

/** The porthost command, as `npm start` runs it (after its build). */
const BIN = fileURLToPath(new URL("../../../apps/cli/bin/porthost.js", import.meta.url));
const BARE = fileURLToPath(new URL("./bare-smtp-server.mjs", import.meta.url));
// The bin is not in maildev's exports; it sits beside the entry point (dist/index.js).
const MAILDEV = path.join(path.dirname(fileURLToPath(import.meta.resolve("maildev"))), "bin/maildev.js");
/** How long a server may take to listen (an index rebuild of 100,000 messages included). */
const START_TIMEOUT_MS = 120_000; // 2 min

export type TargetName = "porthost" | "maildev" | "bare smtp-server";

export interface RunningTarget {
  readonly name: TargetName;
  readonly port: number;
  readonly pid: number;
  /** Milliseconds from spawn until the server accepted a connection. */
  readonly startMs: number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function waitForPort(child: ChildProcess, port: number, name: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} before listening`);
    if (await accepts(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${name} did not listen on ${port} in time`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill("SIGTERM");
    });
}

async function launch(name: TargetName, args: string[], port: number, env: NodeJS.ProcessEnv): Promise<RunningTarget> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "ignore", "inherit"] });
  await waitForPort(child, port, name);
  return { name, port, pid: child.pid ?? 0, startMs: performance.now() - started, stop: stopper(child) };
}

export interface PorthostSettings {
  readonly dataDir: string;
  /** A tuned setting (PORTHOST_SMTP_GREETING_DELAY_MS); unset: the default. */
  readonly greetingDelayMs?: number;
  /** A tuned setting (PORTHOST_MAIL_MAX); unset: the default, 5000. */
  readonly mailMax?: number;
}

/**
 * porthost as `npm start` runs it: `porthost start`, the supervisor and every service, connection
 * events to the web service, the default log level on a pipe read to its end, default settings
 * unless `settings` tunes one; only the ports are the kernel's pick. `pid` is the SMTP service's.
 */
export async function startPorthost(settings: PorthostSettings): Promise<RunningTarget> {
  const started = performance.now();
  const ports = Object.fromEntries(SERVICE_NAMES.map((name) => [`PORTHOST_${name.toUpperCase()}_PORT`, "0"]));
  const env = {
    PORTHOST_DATA_DIR: settings.dataDir,
    ...ports,
    ...(settings.mailMax === undefined ? {} : { PORTHOST_MAIL_MAX: String(settings.mailMax) }),
    ...(settings.greetingDelayMs === undefined
      ? {}
      : { PORTHOST_SMTP_GREETING_DELAY_MS: String(settings.greetingDelayMs) }),
  };
  const porthost = await startPorthostCommand(BIN, env, START_TIMEOUT_MS);
  const smtpPid = execFileSync("pgrep", ["-P", String(porthost.process.pid), "-f", "apps/smtp/dist/main.js"], {
    encoding: "utf8",
  }).trim();
  return {
    name: "porthost",
    port: porthost.port("smtp"),
    pid: Number(smtpPid),
    startMs: performance.now() - started,
    stop: async () => void (await porthost.stop()),
  };
}

/** MailDev storing every message as a file in `mailDir`, web UI off. */
export async function startMaildev(mailDir: string): Promise<RunningTarget> {
  const port = await freePort();
  return launch(
    "maildev",
    [MAILDEV, "--smtp", String(port), "--ip", "127.0.0.1", "--disable-web", "--mail-directory", mailDir, "--silent"],
    port,
    cleanEnvironment(),
  );
}

export async function startBare(): Promise<RunningTarget> {
  const port = await freePort();
  return launch("bare smtp-server", [BARE, String(port)], port, cleanEnvironment());
}

/** Resident set size of a process, in MiB, from /proc. */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? NaN);
  return kib / 1024;
}
