import { spawn } from "node:child_process";
import { mkdir, readdir, readFile } from "node:fs/promises";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { cleanEnvironment, environmentWith } from "@porthost/ports";
import { connects, ephemeralPorts, freePort, readOnlyDir, tempDir, waitForOutput } from "@porthost/testkit";
import { recordProbe } from "./probe-table.js";
import { appPid, PORTHOST_BIN, startHostileHost, type HostileHost } from "./hostile-host.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const PORTS = ephemeralPorts();

/** npm start builds first: a few seconds when nothing changed, minutes after a change. */
const NPM_START_UP_MS = 300_000; // 5 min
/** The promise: nothing of porthost is left this long after SIGTERM to npm start. */
const GONE_WITHIN_MS = 8_000; // 8 s
/** The first restart waits 1 s; the app then starts (a second or two on a busy machine). */
const BACK_WITHIN_MS = 10_000; // 10 s
const POLL_MS = 100;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Every process started with this data folder in its environment: npm, its shell, the supervisor, the apps. */
async function processesOf(dataDir: string): Promise<number[]> {
  const marker = `\0PORTHOST_DATA_DIR=${dataDir}\0`;
  const pids: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (`\0${await readFile(`/proc/${name}/environ`, "latin1")}`.includes(marker)) pids.push(Number(name));
    } catch {
      // gone while we looked
    }
  }
  return pids;
}

async function pollUntil(done: () => Promise<boolean>, timeoutMs: number): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await done()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return (await done()) ? Date.now() - started : undefined;
}

/** Connects and resolves with the first bytes the server sends (a greeting), or undefined. */
function greeting(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.setTimeout(2_000, () => (socket.destroy(), resolve(undefined)));
    socket.once("data", (data) => (socket.destroy(), resolve(data.toString("latin1"))));
    socket.on("error", () => resolve(undefined));
  });
}

function echoes(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write("still here\n"));
    socket.setTimeout(2_000, () => (socket.destroy(), resolve(false)));
    socket.once("data", (data) => (socket.destroy(), resolve(data.toString() === "still here\n")));
    socket.on("error", () => resolve(false));
  });
}

function runStart(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PORTHOST_BIN, "start"], { env: cleanEnvironment(env) });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("the supervisor", () => {
  it(
    "SIGTERM to `npm start` (what tmux, an IDE or CI sends): no porthost process is left",
    async () => {
      const { dir, remove } = await tempDir("porthost-hostile-npm-");
      const npm = spawn("npm", ["start"], {
        cwd: REPO,
        env: environmentWith({ PORTHOST_DATA_DIR: dir, ...PORTS }),
        stdio: ["ignore", "pipe", "pipe"],
      });
      npm.stderr.resume();
      try {
        const started = Date.now();
        await waitForOutput(npm.stdout, /Press Ctrl-C to stop/, NPM_START_UP_MS);
        const upMs = Date.now() - started;
        npm.stdout.resume();
        const before = await processesOf(dir);
        npm.kill("SIGTERM");
        const goneMs = await pollUntil(async () => (await processesOf(dir)).length === 0, GONE_WITHIN_MS);
        const left = await processesOf(dir);
        for (const pid of left) process.kill(pid, "SIGKILL");
        const held = goneMs !== undefined && before.length >= 6;
        expect(
          recordProbe({
            probe: "SIGTERM to `npm start`",
            limit: `no porthost process left ${seconds(GONE_WITHIN_MS)} after`,
            observed: `${before.length} processes (npm, supervisor, 4 apps), ${left.length} left; all gone in ${goneMs === undefined ? "never" : seconds(goneMs)} (npm start up in ${seconds(upMs)})`,
            held,
          }),
        ).toBe(true);
      } finally {
        npm.kill("SIGKILL");
        for (const pid of await processesOf(dir)) process.kill(pid, "SIGKILL");
        await remove();
      }
    },
    NPM_START_UP_MS + 2 * GONE_WITHIN_MS,
  );

  describe("one app killed", () => {
    let host: HostileHost | undefined;
    afterAll(() => host?.close());

    it("SIGKILL of smtp: back on its port within the backoff while web and echo serve throughout", async () => {
      host = await startHostileHost();
      const smtpPort = host.port("smtp");
      const [web, echo] = [host.port("http"), host.port("echo")];
      let served = 0;
      let tried = 0;
      let watching = true;
      const others = (async () => {
        while (watching) {
          const answers = await Promise.all([
            fetch(`http://127.0.0.1:${web}/api/ports`, { signal: AbortSignal.timeout(2_000) }).then(
              (r) => r.ok,
              () => false,
            ),
            echoes(echo),
          ]);
          tried += answers.length;
          served += answers.filter(Boolean).length;
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        }
      })();
      process.kill(await appPid(host, "smtp"), "SIGKILL");
      const backMs = await pollUntil(
        async () => (await greeting(smtpPort))?.startsWith("220") ?? false,
        BACK_WITHIN_MS,
      );
      watching = false;
      await others;
      const held = backMs !== undefined && tried > 0 && served === tried;
      expect(
        recordProbe({
          probe: "SIGKILL of one app (smtp)",
          limit: `back on the same port within ${seconds(BACK_WITHIN_MS)} (1 s backoff + start); others all served`,
          observed: `smtp 220 again on ${smtpPort} after ${backMs === undefined ? "never" : seconds(backMs)}; web + echo ${served}/${tried} served meanwhile`,
          held,
        }),
      ).toBe(true);
    });
  });

  it("a read-only data dir (an existing Maildir) or one that cannot be created: one line, exit 2, nothing listens", async () => {
    const readOnly = await readOnlyDir(async (dir) => {
      for (const sub of ["tmp", "new", "cur"]) await mkdir(`${dir}/Maildir/${sub}`, { recursive: true });
    });
    try {
      const rows = [];
      for (const [what, dataDir] of [
        ["read-only Maildir", readOnly.dir],
        ["missing dir under a read-only one", `${readOnly.dir}/fresh/data`],
      ] as const) {
        const http = await freePort();
        const result = await runStart({ ...PORTS, PORTHOST_HTTP_PORT: String(http), PORTHOST_DATA_DIR: dataDir });
        const lines = result.stderr.trimEnd().split("\n");
        const listening = await connects(http);
        const held =
          result.code === 2 && lines.length === 1 && lines[0]!.includes(dataDir) && result.stdout === "" && !listening;
        rows.push(held);
        recordProbe({
          probe: `data dir: ${what}`,
          limit: "refused before anything listens: one line naming the dir and why, exit 2",
          observed: `exit ${String(result.code)}, ${lines.length} line: "${lines[0]?.replace(/^.*cannot be used: /, "…")}", ${listening ? "listening" : "nothing listening"}`,
          held,
        });
      }
      expect(rows).toEqual([true, true]);
    } finally {
      await readOnly.remove();
    }
  });
});
