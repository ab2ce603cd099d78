import dgram from "node:dgram";
import net from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { knockOnce, tryVault, type VaultAnswer } from "@porthost/knock";
import type { KnockStep } from "@porthost/ports";
import { recordProbe } from "./probe-table.js";
import { appPid, rssMiB, startHostileHost, type HostileHost } from "./hostile-host.js";

/** What a flood of knocks may cost the knock app, in MiB of resident memory. */
const LIMIT_MIB = 64;
/** After the flood the app may still be reading the datagrams queued for it: the real client tries again. */
const REAL_CLIENT_TRIES = 10;
const RETRY_MS = 1_000; // 1 s
/** Knocks from one address, each from a new ephemeral port: the tracker keys by address alone. */
const SAME_ADDRESS_KNOCKS = 20_000;
/** Knocks from as many addresses of 127/8: twice the 10,000 the tracker remembers. */
const ADDRESSES = 20_000;
const TCP_KNOCKS = 2_000;
/** Datagrams in flight at once, so the flood does not only fill the kernel's socket buffer. */
const BATCH = 200;

let host: HostileHost;
beforeAll(async () => {
  host = await startHostileHost();
});
afterAll(() => host.close());

/** One datagram from a fresh socket (a new source port) on `address`. */
function datagramFrom(address: string, port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket("udp4");
    socket.on("error", () => (socket.close(), resolve()));
    socket.bind(0, address, () => socket.send(Buffer.from([0]), port, "127.0.0.1", () => (socket.close(), resolve())));
  });
}

function connectAndClose(port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.destroy());
    socket.on("close", () => resolve());
    socket.on("error", () => resolve());
  });
}

async function inBatches(count: number, send: (i: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < count; i += BATCH)
    await Promise.all(Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => send(i + j)));
}

/** The real client, after the flood: the sequence from 127.0.0.1, 0.1 s after each datagram. */
async function knockAndOpen(sequence: readonly KnockStep[], vaultPort: number): Promise<VaultAnswer> {
  for (const step of sequence) {
    await knockOnce("127.0.0.1", step);
    if (step.transport === "udp") await delay(100);
  }
  return tryVault("127.0.0.1", vaultPort);
}

describe("knocking under a flood", () => {
  it("knocks from many source ports and addresses keep the knock app's memory bounded", async () => {
    const knocks = host.rows.filter((r) => r.service === "knock");
    const sequence = knocks.map((r) => ({ port: r.port, transport: r.transport }));
    const firstUdp = sequence.find((s) => s.transport === "udp")!.port;
    const tcp = sequence.find((s) => s.transport === "tcp")!.port;
    const pid = await appPid(host, "knock");
    const before = await rssMiB(pid);

    await inBatches(SAME_ADDRESS_KNOCKS, () => datagramFrom("127.0.0.1", firstUdp));
    await inBatches(ADDRESSES, (i) => datagramFrom(`127.9.${i >> 8}.${(i & 255) + 1}`, firstUdp));
    await inBatches(TCP_KNOCKS, () => connectAndClose(tcp));
    const grown = (await rssMiB(pid)) - before;
    let answer = await knockAndOpen(sequence, host.port("vault"));
    let tries = 1;
    for (; !answer.open && tries < REAL_CLIENT_TRIES; tries++) {
      await delay(RETRY_MS);
      answer = await knockAndOpen(sequence, host.port("vault"));
    }

    expect(
      recordProbe({
        probe: `knock: ${SAME_ADDRESS_KNOCKS} UDP knocks from new source ports, ${ADDRESSES} from other addresses, ${TCP_KNOCKS} TCP`,
        limit: `< +${LIMIT_MIB} MB RSS; 127.0.0.1 can still knock and open the vault`,
        observed: `${grown >= 0 ? "+" : ""}${grown.toFixed(0)} MB; the vault then ${answer.open ? "greeted" : "reset"} a real knock (try ${tries})`,
        held: grown < LIMIT_MIB && answer.open,
      }),
    ).toBe(true);
  });
});
