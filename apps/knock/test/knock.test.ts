import { describe, expect, it, vi } from "vitest";
import type { KnockStep } from "@porthost/ports";
import { knockOnce, tryVault } from "../src/index.js";
import { from, startKnock, type Started } from "./helpers.js";

const HOST = "127.0.0.1";
/** A second client address: all of 127/8 is this host's loopback on Linux. */
const OTHER = "127.0.0.2";

/** One knock from `address`, once its event is in: a datagram has no answer to wait for. */
async function knock(started: Started, step: KnockStep, address = HOST) {
  const port = await knockOnce(HOST, step, { localAddress: address });
  return started.nextEvent((e) => e.service === "knock" && e.remotePort === port && e.remoteAddress === address);
}

describe("port knocking", () => {
  it("resets the vault until the sequence, then greets the address that knocked, each knock an event", async () => {
    const started = await startKnock();
    const [first, second, third] = started.sequence;
    expect(started.sequence.map((s) => s.transport)).toEqual(["udp", "tcp", "udp"]);

    expect(await tryVault(HOST, started.vaultPort)).toMatchObject({ open: false, code: "ECONNRESET" });
    expect(await started.nextEvent((e) => e.service === "vault")).toMatchObject({
      outcome: "refused",
      detail: expect.stringMatching(/^reset: 127\.0\.0\.1 has not knocked/),
    });

    const events = [await knock(started, first!), await knock(started, second!), await knock(started, third!)];
    expect(events.map((e) => [e.transport, e.localPort, e.outcome, e.detail])).toEqual([
      ["udp", first!.port, "ok", "knock 1 of 3"],
      ["tcp", second!.port, "ok", "knock 2 of 3"],
      ["udp", third!.port, "ok", "knock 3 of 3: vault open for 30 s"],
    ]);
    // The client's ephemeral port, as for every connection event.
    for (const event of events) expect(event.remotePort).toBeGreaterThan(1023);

    const answer = await tryVault(HOST, started.vaultPort);
    expect(answer).toMatchObject({
      open: true,
      greeting: expect.stringMatching(/^porthost vault: the door is open to 127\.0\.0\.1 for \d+(\.\d)? s more\.$/),
    });
    expect(await started.nextEvent((e) => e.service === "vault")).toMatchObject({
      outcome: "ok",
      localPort: started.vaultPort,
      detail: expect.stringMatching(/^knocked: open \d+(\.\d)? s more$/),
    });
  });

  it("never answers an address that has not knocked, while another one's door is open", async () => {
    const started = await startKnock();
    for (const step of started.sequence) await knock(started, step);
    expect(await tryVault(HOST, started.vaultPort)).toMatchObject({ open: true });
    for (let i = 0; i < 3; i++)
      expect(await tryVault(HOST, started.vaultPort, { localAddress: OTHER })).toMatchObject({
        open: false,
        code: "ECONNRESET",
      });
    // Half a sequence from the other address opens nothing either.
    await knock(started, started.sequence[0]!, OTHER);
    await knock(started, started.sequence[1]!, OTHER);
    expect(await tryVault(HOST, started.vaultPort, { localAddress: OTHER })).toMatchObject({ open: false });
    expect(started.events.filter((e) => e.service === "vault" && from(OTHER)(e)).map((e) => e.outcome)).toEqual([
      "refused",
      "refused",
      "refused",
      "refused",
    ]);
  });

  it("resets on a knock out of order, and a wrong knock that is the first begins again", async () => {
    const started = await startKnock();
    const [first, second, third] = started.sequence as [KnockStep, KnockStep, KnockStep];
    expect((await knock(started, second)).detail).toBe(`wrong knock (expected ${first.port}/udp): back to 0 of 3`);
    expect((await knock(started, first)).detail).toBe("knock 1 of 3");
    expect(await knock(started, third)).toMatchObject({
      outcome: "refused",
      detail: `wrong knock (expected ${second.port}/tcp): back to 0 of 3`,
    });
    expect((await knock(started, second)).outcome).toBe("refused");
    expect(await tryVault(HOST, started.vaultPort)).toMatchObject({ open: false });

    expect((await knock(started, first)).detail).toBe("knock 1 of 3");
    expect((await knock(started, first)).detail).toBe(`wrong knock (expected ${second.port}/tcp): back to 1 of 3`);
    await knock(started, second);
    expect((await knock(started, third)).detail).toMatch(/^knock 3 of 3/);
    expect(await tryVault(HOST, started.vaultPort)).toMatchObject({ open: true });
  });

  it("starts again when the sequence takes longer than its timeout", async () => {
    const started = await startKnock({ timeoutMs: 300 });
    const [first, second, third] = started.sequence as [KnockStep, KnockStep, KnockStep];
    await knock(started, first);
    const tracker = started.app.tracker()!;
    expect(tracker.progress(HOST)).toBe(1);
    await vi.waitFor(() => expect(tracker.progress(HOST)).toBe(0), { timeout: 10_000, interval: 50 });
    expect((await knock(started, second)).detail).toBe(
      `timed out (over 300 ms since the first knock); wrong knock (expected ${first.port}/udp): back to 0 of 3`,
    );
    expect((await knock(started, third)).outcome).toBe("refused");
    expect(await tryVault(HOST, started.vaultPort)).toMatchObject({ open: false });
  });

  it("closes the door again when the window is over", async () => {
    const started = await startKnock({ windowMs: 1_500 });
    for (const step of started.sequence) await knock(started, step);
    expect(started.events.at(-1)?.detail).toBe("knock 3 of 3: vault open for 1.5 s");
    const tracker = started.app.tracker()!;
    expect(tracker.windowLeft(HOST)).toBeGreaterThan(0);
    await vi.waitFor(() => expect(tracker.windowLeft(HOST)).toBeUndefined(), { timeout: 10_000, interval: 50 });
    expect(await tryVault(HOST, started.vaultPort)).toMatchObject({ open: false, code: "ECONNRESET" });
  });
});
