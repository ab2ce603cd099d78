import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVICES } from "@porthost/ports";
import { connects, ephemeralPorts, START_TIMEOUT_MS, startPorthost, tempDir } from "@porthost/testkit";
import { childrenOf, running } from "./processes.js";
import { BIN, runCli } from "./run-cli.js";

/** The services whose connections the web service has heard of, polled until `service` is among them. */
async function heardOf(httpPort: number, service: string): Promise<string[]> {
  const deadline = Date.now() + EVENTS_WAIT_MS;
  for (;;) {
    const body = (await (await fetch(`http://127.0.0.1:${httpPort}/api/events`)).json()) as {
      events: { service: string }[];
    };
    const services = [...new Set(body.events.map((e) => e.service))];
    if (services.includes(service) || Date.now() > deadline) return services;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
const ORPHAN_EXIT_MS = 10_000; // 10 s: each app's own stop deadline is 5 s

const EVENTS_WAIT_MS = 5_000; // 5 s: senders batch events for a moment before they post them

describe("porthost start", () => {
  let dataDir: string;
  let remove: () => Promise<void>;
  let env: Record<string, string>;
  beforeAll(async () => {
    ({ dir: dataDir, remove } = await tempDir());
    env = {
      PORTHOST_DATA_DIR: dataDir,
      ...ephemeralPorts(),
    };
  });
  afterAll(() => remove());

  it(
    "runs every service, prints the table, refuses a second copy by service name, and stops on Ctrl-C",
    async () => {
      const first = await startPorthost(BIN, env);
      try {
        const tcp = Object.fromEntries(first.rows.filter((r) => r.transport === "tcp").map((r) => [r.service, r.port]));
        expect(Object.keys(tcp)).toEqual(expect.arrayContaining(["http", "smtp", "echo", "pop3"]));
        const page = await fetch(`http://127.0.0.1:${first.port("http")}/`);
        expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
        expect(await connects(first.port("smtp"))).toBe(true);
        expect(await connects(first.port("pop3"))).toBe(true);
        // Every port was 0, so the kernel chose the web's: the others must report to that one.
        expect(await heardOf(first.port("http"), "smtp")).toContain("smtp");
        // The numbers picked for 0 are the ones everything names: the table's "try it" column,
        // the settings line for another terminal, and the web service's /api/ports.
        expect(first.output).not.toMatch(/127\.0\.0\.1[: ]0\b|_PORT=0\b/);
        expect(first.output).toContain(`http://127.0.0.1:${first.port("http")}/`);
        expect(first.output).toContain(`nc 127.0.0.1 ${first.port("echo")}`);
        const steps = first.rows.filter((r) => r.service === "knock").map((r) => `${r.port}:${r.transport}`);
        expect(first.output).toContain(`knock -d 100 127.0.0.1 ${steps.join(" ")}`);
        const listed = (await (await fetch(`http://127.0.0.1:${first.port("http")}/api/ports`)).json()) as {
          services: { name: string; port: number; status: string; sequence?: { port: number; transport: string }[] }[];
        };
        for (const service of listed.services.filter((s) => s.status !== "not served")) {
          expect(service.port, service.name).toBe(first.rows.find((r) => r.service === service.name)?.port);
          expect(service.status, service.name).toBe("up");
        }
        expect(listed.services.find((s) => s.name === "knock")?.sequence).toEqual(
          first.rows.filter((r) => r.service === "knock").map(({ port, transport }) => ({ port, transport })),
        );

        const knocks = first.rows.filter((r) => r.service === "knock");
        const taken = Object.fromEntries([
          ...first.rows
            .filter((r) => r.service !== "knock")
            .map((r) => [`PORTHOST_${r.service.toUpperCase()}_PORT`, String(r.port)]),
          // The knock service is a sequence of ports, set in one variable.
          ["PORTHOST_KNOCK_SEQUENCE", knocks.map((r) => `${r.port}:${r.transport}`).join(",")],
        ]);
        const second = await runCli(["start"], { ...env, ...taken });
        expect(second.code).toBe(1);
        // Every endpoint of the table is named, each on its own line: tcp and udp, echo and discard.
        for (const row of first.rows) {
          expect(second.stderr).toMatch(
            new RegExp(
              `^porthost: \\w+: port ${row.port}/${row.transport} \\(${row.service}\\) on 127\\.0\\.0\\.1 is already in use`,
              "m",
            ),
          );
        }
        expect(first.rows.map((r) => `${r.service}/${r.transport}`)).toEqual(
          expect.arrayContaining(["echo/udp", "discard/tcp", "discard/udp", "pop3/tcp"]),
        );
        expect(second.stderr).not.toMatch(/\n\s+at /); // no stack trace

        expect(await first.stop()).toBe(0);
        for (const port of Object.values(tcp)) expect(await connects(port)).toBe(false);
      } finally {
        first.process.kill("SIGKILL");
      }
    },
    START_TIMEOUT_MS * 2,
  );

  it(
    "every app stops by itself when the supervisor is killed (nobody reads its log any more)",
    async () => {
      const porthost = await startPorthost(BIN, env);
      const apps = childrenOf(porthost.process.pid!);
      // One process per app of the port table (web, smtp, echo, pop3, knock).
      expect(apps).toHaveLength(new Set(SERVICES.map((s) => s.app)).size);
      porthost.process.kill("SIGKILL");
      const deadline = Date.now() + ORPHAN_EXIT_MS;
      while (apps.some(running) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      const left = apps.filter(running);
      for (const pid of left) process.kill(pid, "SIGKILL");
      expect(left).toEqual([]);
    },
    START_TIMEOUT_MS + ORPHAN_EXIT_MS + 5_000,
  );

  it("a host that is not this machine's: one line naming PORTHOST_HOST, exit 1, with ports to pick or not", async () => {
    for (const ports of [env, { PORTHOST_DATA_DIR: dataDir }]) {
      const result = await runCli(["start"], { ...ports, PORTHOST_HOST: "192.0.2.1" });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^porthost: (\w+: )?address 192\.0\.2\.1 for \w+ is not on this machine: set PORTHOST_HOST/,
      );
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("exits 2 with one line naming a bad variable, before starting anything", async () => {
    const result = await runCli(["start"], { ...env, PORTHOST_SMTP_PORT: "abc" });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      'porthost: PORTHOST_SMTP_PORT="abc" is not a port number: use a whole number from 0 to 65535',
    );
  });
});
