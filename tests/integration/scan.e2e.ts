import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnvironment } from "@porthost/ports";
import { requireTool } from "@porthost/testkit";

const run = promisify(execFile);
const BIN = fileURLToPath(import.meta.resolve("@porthost/cli/bin"));

/**
 * A listener that never accepts, its queue already full: the kernel drops further handshakes,
 * so a scanner hears nothing back (what a firewall that drops packets looks like).
 */
const FULL_QUEUE = `
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
port = s.getsockname()[1]
held = []
for _ in range(4):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", port))
    except BlockingIOError: pass
    held.append(c)
print(port, flush=True)
time.sleep(120)
`;

async function listening(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as net.AddressInfo).port;
}

/** nmap's verdict per port, from its grepable output ("Ports: 22/open/tcp//ssh///, ..."). */
function nmapStates(grepable: string): Record<number, string> {
  const ports = /Ports: (.*?)(\t|$)/m.exec(grepable)?.[1] ?? "";
  return Object.fromEntries(
    ports
      .split(", ")
      .filter(Boolean)
      .map((entry) => {
        const [port, state] = entry.split("/");
        return [Number(port), state!];
      }),
  );
}

describe("porthost scan agrees with nmap -sT", () => {
  const servers: net.Server[] = [];
  let dropper: ChildProcess;
  let open: number[];
  let closed: number;
  let dropping: number;

  beforeAll(async () => {
    requireTool("nmap");
    servers.push(
      net.createServer((s) => s.destroy()),
      net.createServer((s) => s.destroy()),
    );
    open = await Promise.all(servers.map(listening));
    const gone = net.createServer();
    closed = await listening(gone);
    await new Promise((resolve) => gone.close(resolve));
    dropper = spawn(requireTool("python3"), ["-c", FULL_QUEUE], { stdio: ["ignore", "pipe", "inherit"] });
    const [line] = (await once(dropper.stdout!, "data")) as [Buffer];
    dropping = Number(line.toString().trim());
  });
  afterAll(() => {
    for (const server of servers) server.close();
    dropper?.kill();
  });

  it("open, closed and filtered ports, the same as nmap says", async () => {
    const list = [...open, closed, dropping].join(",");
    const ours = await run(
      process.execPath,
      [BIN, "scan", "127.0.0.1", "--ports", list, "--timeout", "500", "--json"],
      {
        env: cleanEnvironment(),
      },
    );
    const body = JSON.parse(ours.stdout) as { open: { port: number }[]; closed: number; filtered: number };
    expect(body.open.map((p) => p.port).sort()).toEqual([...open].sort());
    expect(body).toMatchObject({ closed: 1, filtered: 1 });

    const theirs = await run(requireTool("nmap"), ["-sT", "-Pn", "-n", "-p", list, "127.0.0.1", "-oG", "-"]);
    expect(nmapStates(theirs.stdout)).toEqual({
      [open[0]!]: "open",
      [open[1]!]: "open",
      [closed]: "closed",
      [dropping]: "filtered",
    });
  });
});

/** Listening TCP sockets that accept on 127.0.0.1 (bound to it, to 0.0.0.0 or to ::), from /proc/net. */
function listeningOnLoopback(): Set<number> {
  const found = new Set<number>();
  for (const table of ["tcp", "tcp6"]) {
    for (const row of readFileSync(`/proc/net/${table}`, "utf8").split("\n").slice(1)) {
      const [, local, , state] = row.trim().split(/\s+/); // sl, local_address, rem_address, st
      if (state !== "0A" || local === undefined) continue; // TCP_LISTEN
      const [address, port] = local.split(":");
      const accepts = address === "0100007F" || /^0+$/.test(address!) || address === "0000000000000000FFFF00000100007F"; // ::ffff:127.0.0.1
      if (accepts) found.add(parseInt(port!, 16));
    }
  }
  return found;
}

/**
 * Ports that listened at some moment of `work` and ports that listened throughout, sampled every
 * few milliseconds from /proc/net.
 */
async function listenersDuring<T>(
  work: () => Promise<T>,
): Promise<{ result: T; everListening: Set<number>; alwaysListening: Set<number> }> {
  const everListening = listeningOnLoopback();
  let alwaysListening = new Set(everListening);
  const sample = (): void => {
    const now = listeningOnLoopback();
    for (const port of now) everListening.add(port);
    alwaysListening = new Set([...alwaysListening].filter((port) => now.has(port)));
  };
  const sampler = setInterval(sample, 20);
  try {
    const result = await work();
    sample();
    return { result, everListening, alwaysListening };
  } finally {
    clearInterval(sampler);
  }
}

async function listenInside(low: number, high: number): Promise<net.Server> {
  for (;;) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    const server = net.createServer((s) => s.destroy());
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", resolve);
      });
      return server;
    } catch {
      server.close();
    }
  }
}

describe("over the whole ephemeral range, three runs in a row", () => {
  const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
    .trim()
    .split(/\s+/)
    .map(Number) as [number, number];
  const servers: net.Server[] = [];
  afterAll(() => {
    for (const server of servers) server.close();
  });

  it("porthost and nmap -sT agree on open and closed, and a self-connect is never open", async () => {
    requireTool("nmap");
    for (let i = 0; i < 5; i++) servers.push(await listenInside(low, high));
    const ours = new Set(servers.map((s) => (s.address() as net.AddressInfo).port));
    const range = `${low}-${high}`;
    for (let round = 1; round <= 3; round++) {
      const { result, everListening, alwaysListening } = await listenersDuring(async () => {
        const porthost = await run(process.execPath, [BIN, "scan", "127.0.0.1", "--ports", range, "--json"], {
          env: cleanEnvironment(),
          maxBuffer: 64 * 1024 * 1024,
        });
        const nmap = await run(requireTool("nmap"), ["-sT", "-T4", "-Pn", "-n", "-p", range, "127.0.0.1", "-oG", "-"]);
        return { porthost: porthost.stdout, nmap: nmap.stdout };
      });
      const body = JSON.parse(result.porthost) as {
        open: { port: number; localPort: number }[];
        closed: number;
        filtered: number;
      };
      const porthostOpen = new Set(body.open.map((p) => p.port));
      const nmapStatesNow = nmapStates(result.nmap);
      const nmapOpen = new Set(
        Object.entries(nmapStatesNow)
          .filter(([, state]) => state === "open")
          .map(([port]) => Number(port)),
      );
      // Each of our listeners is open to both, every time.
      for (const port of ours) {
        expect(porthostOpen, `run ${round}: porthost on ${port}`).toContain(port);
        expect(nmapOpen, `run ${round}: nmap on ${port}`).toContain(port);
      }
      // The false opens: a handshake from port P to P itself.
      expect(
        body.open.filter((p) => p.localPort === p.port),
        `run ${round}`,
      ).toEqual([]);
      // Where they differ, something else on this machine listened for part of the run only (other
      // tests open and close ports in this range): a port that listened throughout, or never, is
      // the same to both (a server that accepts and resets at once, like the vault, is open).
      const disagree = [...porthostOpen, ...nmapOpen].filter((p) => porthostOpen.has(p) !== nmapOpen.has(p));
      expect(
        disagree.filter((p) => alwaysListening.has(p) || !everListening.has(p)),
        `run ${round}`,
      ).toEqual([]);
      expect(
        [...porthostOpen].filter((p) => !everListening.has(p)),
        `run ${round}: porthost's opens`,
      ).toEqual([]);
      expect(body.filtered, `run ${round}`).toBe(0);
      expect(body.open.length + body.closed).toBe(high - low + 1);
    }
  });
});
