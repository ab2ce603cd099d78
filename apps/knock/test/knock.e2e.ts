import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it, vi } from "vitest";
import { requireTool } from "@porthost/testkit";
import type { KnockStep } from "@porthost/ports";
import { spaPacket, tryVault } from "../src/index.js";
import { from, startKnock, type Started } from "./helpers.js";

const run = promisify(execFile);
const HOST = "127.0.0.1";
const KEY = "an-e2e-key-of-thirty-two-chars!!";
const KNOCK_DELAY_MS = 100; // knock -d: between two knocks

/**
 * Debian's knock client (package knockd), as the README runs it: `knock -d 100 host port:proto ...`.
 * A datagram and a TCP connection reach user space through two sockets, in no promised order, so
 * each knock waits 100 ms (-d) for the one before it to be read.
 */
async function knockClient(started: Started, steps: readonly KnockStep[]): Promise<void> {
  await run(requireTool("knock"), [
    "-d",
    String(KNOCK_DELAY_MS),
    HOST,
    ...steps.map((s) => `${s.port}:${s.transport}`),
  ]);
  // A datagram has no answer: the last knock's event says it was counted.
  const last = steps.at(-1)!;
  await started.nextEvent((e) => e.service === "knock" && e.localPort === last.port && e.transport === last.transport);
}

/** nmap's version scan of the vault: "tcpwrapped" (handshake, then closed without a byte) or the greeting. */
async function nmapVersion(port: number): Promise<string> {
  const { stdout } = await run(requireTool("nmap"), ["-sV", "-Pn", "-p", String(port), HOST]);
  return stdout;
}

describe("port knocking with outside clients", () => {
  it("nmap sees tcpwrapped, Debian's knock opens the door, nmap reads the greeting", async () => {
    requireTool("knock");
    requireTool("nmap");
    const started = await startKnock();
    expect(await nmapVersion(started.vaultPort)).toMatch(
      new RegExp(`^${started.vaultPort}/tcp\\s+open\\s+tcpwrapped`, "m"),
    );

    await knockClient(started, started.sequence);
    expect(started.events.filter((e) => e.service === "knock").map((e) => e.detail)).toEqual([
      "knock 1 of 3",
      "knock 2 of 3",
      "knock 3 of 3: vault open for 30 s",
    ]);
    const scan = await nmapVersion(started.vaultPort);
    expect(scan).toMatch(new RegExp(`^${started.vaultPort}/tcp\\s+open\\s+unknown`, "m"));
    expect(scan).toContain("porthost\\x20vault:\\x20the\\x20door\\x20is\\x20open");
    // The other address never gets it: nc from 127.0.0.2 is reset (its exit code depends on when the reset lands).
    const nc = await run(requireTool("nc"), ["-s", "127.0.0.2", "-w", "2", HOST, String(started.vaultPort)]).catch(
      (error: { stdout: string }) => error,
    );
    expect(nc.stdout).toBe("");
    expect(await started.nextEvent((e) => e.service === "vault" && from("127.0.0.2")(e))).toMatchObject({
      outcome: "refused",
    });
  });

  it("a sequence out of order opens nothing, nor one slower than the timeout", async () => {
    const started = await startKnock({ timeoutMs: 500 });
    const [first, second, third] = started.sequence as [KnockStep, KnockStep, KnockStep];
    await knockClient(started, [second, first, third]);
    expect(await tryVault(HOST, started.vaultPort)).toMatchObject({ open: false, code: "ECONNRESET" });

    await knockClient(started, [first]);
    await vi.waitFor(() => expect(started.app.tracker()!.progress(HOST)).toBe(0), { timeout: 10_000, interval: 50 });
    await knockClient(started, [second, third]);
    expect(started.events.at(-2)?.detail).toMatch(/^timed out \(over 500 ms since the first knock\); wrong knock/);
    expect(await tryVault(HOST, started.vaultPort)).toMatchObject({ open: false });
  });

  it("the window closes again: nmap is back to tcpwrapped", async () => {
    const started = await startKnock({ windowMs: 1_000 });
    await knockClient(started, started.sequence);
    await vi.waitFor(() => expect(started.app.tracker()!.windowLeft(HOST)).toBeUndefined(), {
      timeout: 10_000,
      interval: 50,
    });
    expect(await nmapVersion(started.vaultPort)).toMatch(/open\s+tcpwrapped/);
  });

  it("a captured SPA datagram replayed by socat is refused", async () => {
    const started = await startKnock({ spaKey: KEY });
    const packet = spaPacket(KEY, started.vaultPort);
    const send = () =>
      new Promise<void>((resolve, reject) => {
        const child = execFile(
          requireTool("socat"),
          ["-u", "-", `UDP:${HOST}:${started.sequence[0]!.port}`],
          (error) => (error ? reject(error) : resolve()),
        );
        child.stdin?.end(packet);
      });
    await send();
    expect((await started.nextEvent((e) => e.service === "knock")).detail).toBe("SPA accepted: vault open for 30 s");
    await send();
    expect((await started.nextEvent((e) => e.service === "knock")).detail).toMatch(/^SPA refused: replayed/);
  });
});
