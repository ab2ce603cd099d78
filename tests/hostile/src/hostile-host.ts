import { readFile, readdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { ephemeralPorts, startPorthost, tempDir, type RunningPorthost } from "@porthost/testkit";

/** The `porthost` command, as npm start runs it. */
export const PORTHOST_BIN = createRequire(import.meta.url).resolve("@porthost/cli/bin");

export interface HostileHost extends RunningPorthost {
  /** The data folder of this run (its Maildir is under it). */
  readonly dataDir: string;
  /** Stops porthost and removes its data folder. */
  close(): Promise<void>;
}

/**
 * `porthost start` as users run it (every service, default limits and log), on ports the kernel
 * picks and a fresh data folder; `env` adds or overrides settings for one probe.
 */
export async function startHostileHost(env: Record<string, string> = {}): Promise<HostileHost> {
  const { dir, remove } = await tempDir("porthost-hostile-");
  const ports = Object.entries(ephemeralPorts());
  const host = await startPorthost(PORTHOST_BIN, { PORTHOST_DATA_DIR: dir, ...Object.fromEntries(ports), ...env });
  return {
    ...host,
    dataDir: dir,
    async close() {
      try {
        await host.stop();
      } finally {
        host.process.kill("SIGKILL");
        await remove();
      }
    },
  };
}

/** A process's resident memory now, in MiB (Linux /proc). */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

/** The pid of the supervisor's child running `app` (web, smtp, pop3, echo). */
export async function appPid(host: RunningPorthost, app: string): Promise<number> {
  const parent = host.process.pid!;
  for (const task of await readdir(`/proc/${parent}/task`)) {
    const children = (await readFile(`/proc/${parent}/task/${task}/children`, "utf8")).split(" ").filter(Boolean);
    for (const child of children) {
      const cmdline = await readFile(`/proc/${child}/cmdline`, "utf8");
      if (cmdline.includes(`apps/${app}/dist/main.js`)) return Number(child);
    }
  }
  throw new Error(`porthost (pid ${parent}) has no ${app} process`);
}
