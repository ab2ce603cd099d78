import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordProbe } from "./probe-table.js";
import { appPid, rssMiB, startHostileHost, type HostileHost } from "./hostile-host.js";

/** What one client that never reads may cost a service, in MiB of resident memory. */
const LIMIT_MIB = 100;
/** The attacker stops after sending this much (the pre-fix POP3 grew past 1 GB on less)... */
const MAX_SENT_BYTES = 256 * 1024 * 1024; // 256 MiB
/** ...or once the server has taken nothing for this long: it stopped reading. */
const STALLED_MS = 3_000; // 3 s
/** ...or after this long in all. */
const ATTACK_MS = 30_000; // 30 s
const SAMPLE_MS = 100;

let host: HostileHost;
beforeAll(async () => {
  host = await startHostileHost();
});
afterAll(() => host.close());

interface Flood {
  readonly sentMiB: number;
  /** The server stopped taking bytes (its reads paused, the kernel's buffers full). */
  readonly stalled: boolean;
  /** The server closed the connection. */
  readonly cut: boolean;
}

/**
 * One connection that sends `line` over and over and never reads: it writes whenever the
 * kernel takes more, until the server stops reading (nothing taken for STALLED_MS) or a bound.
 */
async function floodWithoutReading(
  port: number,
  line: string,
  greeted: boolean,
): Promise<{ flood: Flood; socket: net.Socket }> {
  const socket = net.connect({ host: "127.0.0.1", port });
  socket.on("error", () => undefined);
  // A mail client waits for the greeting (SMTP cuts one that talks first), then never reads again.
  await new Promise<void>((resolve, reject) => {
    socket.once(greeted ? "data" : "connect", () => resolve());
    socket.once("error", reject);
  });
  socket.pause();
  const chunk = Buffer.from(line.repeat(Math.ceil(65_536 / line.length)));
  const started = Date.now();
  let sent = 0;
  let stalled = false;
  while (sent < MAX_SENT_BYTES && Date.now() - started < ATTACK_MS && !socket.destroyed) {
    sent += chunk.length;
    if (socket.write(chunk)) continue;
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), STALLED_MS);
      socket.once("drain", () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!drained) {
      stalled = true;
      break;
    }
  }
  return { flood: { sentMiB: sent / 1024 / 1024, stalled, cut: socket.destroyed }, socket };
}

/** Runs the flood against one app, sampling its RSS; the row's figures are before, peak and after. */
async function probe(
  app: string,
  port: number,
  line: string,
  greeted: boolean,
): Promise<{ observed: string; held: boolean }> {
  const pid = await appPid(host, app);
  const before = await rssMiB(pid);
  let peak = before;
  const sampler = setInterval(() => {
    rssMiB(pid).then(
      (rss) => (peak = Math.max(peak, rss)),
      () => undefined,
    );
  }, SAMPLE_MS);
  try {
    const { flood, socket } = await floodWithoutReading(port, line, greeted);
    peak = Math.max(peak, await rssMiB(pid));
    if (!socket.destroyed) {
      const closed = new Promise((resolve) => socket.once("close", resolve));
      socket.destroy();
      await closed;
    }
    // The server sees the close and frees the session; a fresh connection answering shows it is past that.
    await answered(port);
    const after = await rssMiB(pid);
    const growth = peak - before;
    const held = growth < LIMIT_MIB;
    const how = flood.cut ? "then it closed" : flood.stalled ? "then it stopped reading" : "and it kept reading";
    return {
      observed: `sent ${flood.sentMiB.toFixed(0)} MiB ${how}; RSS ${before.toFixed(0)} -> peak ${peak.toFixed(0)} (+${growth.toFixed(0)}) -> after ${after.toFixed(0)} MiB`,
      held,
    };
  } finally {
    clearInterval(sampler);
  }
}

/** Resolves once a new connection to `port` gets its first bytes (a greeting), or is accepted (echo). */
async function answered(port: number): Promise<void> {
  const socket = net.connect({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.once("data", () => resolve());
    socket.once("connect", () => socket.write("\r\n"));
  });
  socket.destroy();
}

describe("clients that send and never read", () => {
  it("POP3: one connection, no login, pipelines CAPA and never reads", async () => {
    const { observed, held } = await probe("pop3", host.port("pop3"), "CAPA\r\n", true);
    expect(
      recordProbe({ probe: "POP3: pipelines CAPA, never reads", limit: `< +${LIMIT_MIB} MB RSS`, observed, held }),
    ).toBe(true);
  });

  it("SMTP: one connection pipelines NOOP and never reads", async () => {
    const { observed, held } = await probe("smtp", host.port("smtp"), "NOOP\r\n", true);
    expect(
      recordProbe({ probe: "SMTP: pipelines NOOP, never reads", limit: `< +${LIMIT_MIB} MB RSS`, observed, held }),
    ).toBe(true);
  });

  it("echo over TCP: one connection sends and never reads", async () => {
    const { observed, held } = await probe("echo", host.port("echo"), "x".repeat(1024), false);
    expect(
      recordProbe({ probe: "echo/tcp: sends, never reads", limit: `< +${LIMIT_MIB} MB RSS`, observed, held }),
    ).toBe(true);
  });
});
