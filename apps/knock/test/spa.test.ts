import { describe, expect, it } from "vitest";
import { createSpaVerifier, sendDatagram, spaPacket, SPA_MAX_AGE_MS, tryVault } from "../src/index.js";
import { startKnock, type Started } from "./helpers.js";

const HOST = "127.0.0.1";
const KEY = "a-test-key-of-32-characters-long";

/** Sends one datagram to the first knock port and returns its event. */
async function sendSpa(started: Started, packet: Buffer, localAddress = HOST) {
  const port = await sendDatagram(HOST, started.sequence[0]!.port, packet, { localAddress });
  return started.nextEvent((e) => e.remotePort === port && e.remoteAddress === localAddress);
}

describe("single-packet authorization", () => {
  it("opens the vault to the sender for the window, once per packet", async () => {
    const started = await startKnock({ spaKey: KEY });
    const packet = spaPacket(KEY, started.vaultPort);
    expect(await sendSpa(started, packet, "127.0.0.2")).toMatchObject({
      service: "knock",
      transport: "udp",
      outcome: "ok",
      detail: "SPA accepted: vault open for 30 s",
    });
    expect(await tryVault(HOST, started.vaultPort, { localAddress: "127.0.0.2" })).toMatchObject({ open: true });
    // Only the sender's address: 127.0.0.1 sent nothing.
    expect(await tryVault(HOST, started.vaultPort)).toMatchObject({ open: false });

    // The same datagram again, as an eavesdropper would replay it, from another address.
    expect(await sendSpa(started, packet)).toMatchObject({
      outcome: "refused",
      detail: expect.stringMatching(/^SPA refused: replayed: this nonce came .* ago$/),
    });
    expect(await tryVault(HOST, started.vaultPort)).toMatchObject({ open: false });
  });

  it.each([
    [
      "stale",
      (port: number) => spaPacket(KEY, port, Date.now() - SPA_MAX_AGE_MS - 5_000),
      /^SPA refused: stale: stamped 12\d(\.\d)? s ago \(limit 120 s\)$/,
    ],
    ["from the future", (port: number) => spaPacket(KEY, port, Date.now() + SPA_MAX_AGE_MS + 60_000), /in the future/],
    [
      "signed with another key",
      (port: number) => spaPacket("another-key-entirely-0123456789", port),
      /^SPA refused: bad HMAC: not signed with this PORTHOST_KNOCK_KEY$/,
    ],
    ["malformed", () => Buffer.from("porthost-spa1 hello"), /^SPA refused: malformed SPA packet/],
  ])("refuses a packet %s, and the vault stays shut", async (_name, make, detail) => {
    const started = await startKnock({ spaKey: KEY });
    expect(await sendSpa(started, make(started.vaultPort))).toMatchObject({
      outcome: "refused",
      detail: expect.stringMatching(detail),
    });
    expect(await tryVault(HOST, started.vaultPort)).toMatchObject({ open: false });
  });

  it("says SPA is off when PORTHOST_KNOCK_KEY is not set", async () => {
    const started = await startKnock();
    expect((await sendSpa(started, spaPacket(KEY, started.vaultPort))).detail).toBe(
      "SPA refused: SPA is off here: PORTHOST_KNOCK_KEY is not set",
    );
  });

  it("refuses a packet for another port, and fails closed when the replay cache is full", () => {
    let now = 1_000_000;
    const verifier = createSpaVerifier({ key: KEY, port: 9021, maxNonces: 2, now: () => now });
    expect(verifier.verify(spaPacket(KEY, 22, now))).toEqual({
      ok: false,
      reason: "asks for port 22; the vault here is 9021",
    });
    expect(verifier.verify(spaPacket(KEY, 9021, now))).toEqual({ ok: true });
    expect(verifier.verify(spaPacket(KEY, 9021, now))).toEqual({ ok: true });
    expect(verifier.verify(spaPacket(KEY, 9021, now))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^replay cache full/),
    });
    // Nonces are forgotten once no packet carrying them can still be fresh.
    now += 2 * SPA_MAX_AGE_MS + 1;
    expect(verifier.verify(spaPacket(KEY, 9021, now))).toEqual({ ok: true });
    expect(verifier.nonces()).toBe(1);
  });
});
