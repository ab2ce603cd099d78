import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordProbe } from "./probe-table.js";
import { appPid, rssMiB, startHostileHost, type HostileHost } from "./hostile-host.js";
import { ATTACKER, servedCount } from "./http-client.js";

/** Issue 16's target for 100 clients that pipeline and never read, in MiB of the web process's resident memory. */
const TARGET_MIB = 200;
/**
 * What fails the test: a return to growth without bound (before the pipelining limit these clients
 * took the web process from 73 to 1,579 MB). Between the two, the row says the target was missed:
 * node's parser turns a whole 64 KiB read (about 1,800 GETs) into requests before any hook can
 * close the connection, 100 connections in one turn of the event loop, and how much of that
 * garbage is resident at the peak depends on when V8 collects it (+159 to +241 MB here, quiet).
 */
const UNBOUNDED_MIB = 600;
const CLIENTS = 100;
const ATTACK_MS = 10_000; // 10 s
const SAMPLE_MS = 250;

let host: HostileHost;
beforeAll(async () => {
  host = await startHostileHost();
});
afterAll(() => host.close());

/**
 * CLIENTS connections that write pipelined GETs of the page whenever the kernel takes them and
 * never read an answer; each one the server closes is opened again at once, for ATTACK_MS.
 */
function pipelineWithoutReading(port: number): { stop(): void; reopened(): number } {
  const burst = Buffer.from("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".repeat(1_000));
  const open = new Set<net.Socket>();
  let stopped = false;
  let reopened = 0;
  const connect = (): void => {
    const socket = net.connect({ host: "127.0.0.1", port, localAddress: ATTACKER });
    open.add(socket);
    socket.pause();
    socket.on("error", () => undefined);
    socket.on("close", () => {
      open.delete(socket);
      if (stopped) return;
      reopened += 1;
      connect();
    });
    const flood = (): void => {
      while (!socket.destroyed && socket.write(burst));
      if (!socket.destroyed) socket.once("drain", flood);
    };
    socket.on("connect", flood);
  };
  for (let i = 0; i < CLIENTS; i++) connect();
  return {
    stop() {
      stopped = true;
      for (const socket of open) socket.destroy();
    },
    reopened: () => reopened,
  };
}

describe("HTTP clients that pipeline and never read", () => {
  it(`${CLIENTS} of them leave the web process bounded (target +${TARGET_MIB} MB), and others are still served`, async () => {
    const port = host.port("http");
    const pid = await appPid(host, "web");
    const before = await rssMiB(pid);
    let peak = before;
    const attack = pipelineWithoutReading(port);
    let served: number;
    try {
      const until = Date.now() + ATTACK_MS;
      const others = servedCount(port, "/api/ports", 20, 10);
      while (Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
        peak = Math.max(peak, await rssMiB(pid));
      }
      served = await others;
    } finally {
      attack.stop();
    }
    const grew = peak - before;
    recordProbe({
      probe: `HTTP: ${CLIENTS} clients pipeline GET / and never read (${ATTACK_MS / 1000} s)`,
      limit: `web RSS < +${TARGET_MIB} MB; ≥ 90% of others served`,
      observed: `+${grew.toFixed(0)} MB (${before.toFixed(0)} → ${peak.toFixed(0)} MB peak); ${attack.reopened()} closed by the server; ${served}/20 served`,
      held: grew < TARGET_MIB && served >= 18,
    });
    expect(served).toBeGreaterThanOrEqual(18);
    expect(grew).toBeLessThan(UNBOUNDED_MIB);
  });
});
