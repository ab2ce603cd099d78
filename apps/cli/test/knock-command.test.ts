import { afterEach, describe, expect, it } from "vitest";
import { buildKnock } from "@porthost/knock";
import { readConfig, type KnockStep } from "@porthost/ports";
import { runCli } from "./run-cli.js";

const KEY = "a-key-for-the-knock-command-test";
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A knock app on free ports, and the environment that points the CLI at it. */
async function startKnock(spaKey?: string): Promise<{ env: Record<string, string>; sequence: readonly KnockStep[] }> {
  const app = buildKnock({
    host: "127.0.0.1",
    // The table's sequence (udp, tcp, udp), each on a port the system picks.
    sequence: readConfig({ PORTHOST_KNOCK_PORT: "0" }, "/tmp").services.knock.sequence ?? [],
    vaultPort: 0,
    settings: { spaKey },
  });
  const endpoints = await app.listen();
  closers.push(() => app.close());
  const sequence = app.sequence();
  return {
    sequence,
    env: {
      PORTHOST_KNOCK_SEQUENCE: sequence.map((s) => `${s.port}:${s.transport}`).join(","),
      PORTHOST_VAULT_PORT: String(endpoints.find((e) => e.service === "vault")!.port),
    },
  };
}

describe("porthost knock", () => {
  it("lists the knock sequence in order in ports --json, moved by the offset", async () => {
    const result = await runCli(["ports", "--json"], { PORTHOST_PORT_OFFSET: "20000" });
    const rows = JSON.parse(result.stdout) as { service: string; sequence?: unknown }[];
    expect(rows.find((r) => r.service === "knock")?.sequence).toEqual([
      { port: 21022, transport: "udp" },
      { port: 21022, transport: "tcp" },
      { port: 21021, transport: "udp" },
    ]);
    expect(rows.find((r) => r.service === "vault")).toMatchObject({ port: 21021, transports: ["tcp"] });
  });

  it("knocks each port in order, from its own ephemeral port, and shows the vault's greeting", async () => {
    const { env, sequence } = await startKnock();
    const result = await runCli(["knock"], env);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines.slice(0, 3)).toEqual(
      sequence.map((s, i) =>
        expect.stringMatching(
          new RegExp(`^knock ${i + 1} of 3: your port \\d+ -> 127\\.0\\.0\\.1 ${s.port}/${s.transport}$`),
        ),
      ),
    );
    expect(lines[3]).toMatch(
      /^the vault, 127\.0\.0\.1:\d+, from your port \d+: porthost vault: the door is open to 127\.0\.0\.1 for/,
    );
  });

  it("opens the vault with one SPA datagram when the key is shared, and says what is missing when it is not", async () => {
    const { env } = await startKnock(KEY);
    const missing = await runCli(["knock", "--spa"], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^porthost: --spa needs the key the knock service has: set PORTHOST_KNOCK_KEY/);
    const wrong = await runCli(["knock", "--spa"], { ...env, PORTHOST_KNOCK_KEY: "not-the-key-the-service-has" });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/still resets \(ECONNRESET\)/);
    const result = await runCli(["knock", "--spa", "--json"], { ...env, PORTHOST_KNOCK_KEY: KEY });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      sent: [{ what: expect.stringMatching(/^SPA, \d+ bytes/) }],
      vault: { open: true },
    });
  });
});
