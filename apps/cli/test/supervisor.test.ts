import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnvironment, SERVICES } from "@porthost/ports";
import {
  connects,
  freePort,
  readOnlyDir,
  START_TIMEOUT_MS,
  startPorthost,
  tempDir,
  waitForOutput,
  ephemeralPorts,
} from "@porthost/testkit";
import { appPids, awaitGone } from "./processes.js";
import { BIN, runCli } from "./run-cli.js";

/** Each app gives itself 5 s to stop, the supervisor 6 s before SIGKILL. */
const STOPPED_WITHIN_MS = 10_000; // 10 s
/** The first restart waits 1 s; the app then starts on a busy machine. */
const BACK_WITHIN_MS = 60_000; // 60 s

const PORTS = ephemeralPorts();

describe("porthost start keeps the host up", () => {
  let env: Record<string, string>;
  let remove: () => Promise<void>;
  beforeAll(async () => {
    const data = await tempDir();
    remove = data.remove;
    env = { PORTHOST_DATA_DIR: data.dir, ...PORTS };
  });
  afterAll(() => remove());

  for (const signal of ["SIGTERM", "SIGHUP"] as const) {
    it(
      `stops every app and exits 0 on ${signal}`,
      async () => {
        const porthost = await startPorthost(BIN, env);
        const pids = Object.values(appPids(porthost.process.pid!));
        expect(pids).toHaveLength(5);
        const exited = new Promise((resolve) => porthost.process.once("exit", resolve));
        porthost.process.kill(signal);
        expect(await exited).toBe(0);
        expect(await awaitGone(pids, STOPPED_WITHIN_MS)).toEqual([]);
      },
      START_TIMEOUT_MS + STOPPED_WITHIN_MS,
    );
  }

  it(
    "stops every app when its parent process dies (SIGKILL to it: nothing forwards a signal)",
    async () => {
      const parent = spawn("sh", ["-c", `"${process.execPath}" "${BIN}" start & echo "pid $!"; wait`], {
        env: cleanEnvironment(env),
        stdio: ["ignore", "pipe", "ignore"],
      });
      try {
        const output = await waitForOutput(parent.stdout, /Press Ctrl-C to stop/, START_TIMEOUT_MS);
        const supervisor = Number(/^pid (\d+)$/m.exec(output)?.[1]);
        const apps = appPids(supervisor);
        // Every app of the port table runs: the supervisor's children are what must stop.
        expect(Object.keys(apps).sort()).toEqual([...new Set(SERVICES.map((s) => s.app))].sort());
        const pids = [supervisor, ...Object.values(apps)];
        parent.kill("SIGKILL");
        const left = await awaitGone(pids, STOPPED_WITHIN_MS);
        for (const pid of left) process.kill(pid, "SIGKILL");
        expect(left).toEqual([]);
      } finally {
        parent.kill("SIGKILL");
      }
    },
    START_TIMEOUT_MS + STOPPED_WITHIN_MS,
  );

  it(
    "restarts a killed app on the same ports with a line saying why and when, while the others serve",
    async () => {
      const porthost = await startPorthost(BIN, env);
      try {
        const before = appPids(porthost.process.pid!);
        const lines = waitForOutput(porthost.process.stderr!, /smtp is back, listening on \d+\/tcp/, BACK_WITHIN_MS);
        process.kill(before.smtp!, "SIGKILL");
        const said = await lines;
        expect(said).toMatch(
          /^porthost: smtp stopped unexpectedly \(killed by SIGKILL\) at \d\d:\d\d:\d\d; restarting it in 1 s, at \d\d:\d\d:\d\d \(restart 1\)$/m,
        );
        expect(said).toContain(`smtp is back, listening on ${porthost.port("smtp")}/tcp`);
        expect(await connects(porthost.port("smtp"))).toBe(true);
        const after = appPids(porthost.process.pid!);
        expect(after.smtp).not.toBe(before.smtp);
        expect({ ...after, smtp: 0 }).toEqual({ ...before, smtp: 0 });

        // The web service came from port 0 too: it must come back where the others send their events.
        const web = waitForOutput(porthost.process.stderr!, /web is back, listening on \d+\/tcp/, BACK_WITHIN_MS);
        process.kill(after.web!, "SIGKILL");
        expect(await web).toContain(`web is back, listening on ${porthost.port("http")}/tcp`);
        // The knock app's ports are a sequence, set in one variable: it comes back on all of them.
        const knock = waitForOutput(porthost.process.stderr!, /knock is back, listening on .*\n/, BACK_WITHIN_MS);
        process.kill(appPids(porthost.process.pid!).knock!, "SIGKILL");
        const knockBack = await knock;
        for (const row of porthost.rows.filter((r) => r.service === "knock" || r.service === "vault"))
          expect(knockBack).toContain(`${row.port}/${row.transport}`);
        // The switchboard lists both restarts, the web's own included, each with when it was back.
        const listed = async (): Promise<unknown[]> => {
          const reply = await fetch(`http://127.0.0.1:${porthost.port("http")}/api/events/restarts`);
          const { restarts } = (await reply.json()) as { restarts: { app: string; signal: string; backAt?: string }[] };
          return restarts.map((r) => [r.app, r.signal, typeof r.backAt]);
        };
        await expect.poll(listed).toEqual([
          ["smtp", "SIGKILL", "string"],
          ["web", "SIGKILL", "string"],
          ["knock", "SIGKILL", "string"],
        ]);
        expect(await porthost.stop()).toBe(0);
      } finally {
        porthost.process.kill("SIGKILL");
      }
    },
    START_TIMEOUT_MS + 2 * BACK_WITHIN_MS,
  );

  it(
    "with PORTHOST_RESTART=never, a killed app stops everything and the exit code is 1",
    async () => {
      const porthost = await startPorthost(BIN, { ...env, PORTHOST_RESTART: "never" });
      try {
        const pids = appPids(porthost.process.pid!);
        const said = waitForOutput(porthost.process.stderr!, /echo stopped unexpectedly/, STOPPED_WITHIN_MS);
        const exited = new Promise((resolve) => porthost.process.once("exit", resolve));
        process.kill(pids.echo!, "SIGKILL");
        expect(await said).toMatch(/^porthost: echo stopped unexpectedly \(killed by SIGKILL\); stopping the others$/m);
        expect(await exited).toBe(1);
        expect(await awaitGone(Object.values(pids), STOPPED_WITHIN_MS)).toEqual([]);
      } finally {
        porthost.process.kill("SIGKILL");
      }
    },
    START_TIMEOUT_MS + 2 * STOPPED_WITHIN_MS,
  );

  it("refuses a bad PORTHOST_RESTART with one line", async () => {
    const result = await runCli(["start"], { ...env, PORTHOST_RESTART: "maybe" });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('porthost: PORTHOST_RESTART="maybe" is not one of always, never\n');
  });
});

describe("porthost start refuses a data directory it cannot write", () => {
  it("an existing Maildir on a read-only file system: one line, exit 2, nothing listens", async () => {
    const readOnly = await readOnlyDir(async (dir) => {
      for (const sub of ["tmp", "new", "cur"]) await mkdir(`${dir}/Maildir/${sub}`, { recursive: true });
    });
    try {
      const http = await freePort();
      const result = await runCli(["start"], {
        ...PORTS,
        PORTHOST_HTTP_PORT: String(http),
        PORTHOST_DATA_DIR: readOnly.dir,
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        new RegExp(
          `^porthost: the data directory ${readOnly.dir} \\(PORTHOST_DATA_DIR\\) cannot be used: it (is on a read-only file system \\(EROFS\\)|is not writable by this user.*\\(EACCES\\))\\n$`,
        ),
      );
      expect(result.stdout).toBe("");
      expect(await connects(http)).toBe(false);
    } finally {
      await readOnly.remove();
    }
  });

  it("a fresh data directory that cannot be created: one line naming it, exit 2", async () => {
    const readOnly = await readOnlyDir();
    try {
      const data = `${readOnly.dir}/fresh/data`;
      const result = await runCli(["start"], { ...PORTS, PORTHOST_DATA_DIR: data });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        new RegExp(
          `^porthost: the data directory ${data} \\(PORTHOST_DATA_DIR\\) cannot be used: it (is on a read-only file system \\(EROFS\\)|cannot be created by this user.*\\(EACCES\\))\\n$`,
        ),
      );
    } finally {
      await readOnly.remove();
    }
  });
});
