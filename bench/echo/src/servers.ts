import { execFileSync, fork, spawn, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { readFileSync } from "node:fs";
import net, { type AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { ephemeralPorts, startPorthost } from "@porthost/testkit";
import type { CpuScope } from "./cpu.js";

/** The porthost command, as `npm start` runs it (after its build). */
const BIN = fileURLToPath(new URL("../../../apps/cli/bin/porthost.js", import.meta.url));
const BARE = fileURLToPath(new URL("./bare-servers.mjs", import.meta.url));
const READY_TIMEOUT_MS = 10_000; // 10 s

export interface EchoServer {
  readonly name: string;
  readonly tcp: number;
  readonly udp: number;
  /** Whose CPU counts for the TCP rows and for the UDP row. */
  readonly cpu: CpuScope;
  readonly udpCpu: CpuScope;
  stop(): Promise<void>;
}

function tool(name: string): string {
  try {
    return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
  } catch {
    throw new Error(`bench:echo needs ${name}: apt-get install -y ${name}`);
  }
}

/** A port nothing has bound on that transport right now; the kernel picks it. */
async function freePort(transport: "tcp" | "udp"): Promise<number> {
  if (transport === "udp") {
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    const { port } = socket.address();
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    return port;
  }
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Waits until the kernel lists a socket bound to 127.0.0.1:port (a TCP one listening). Read from
 * /proc/net rather than probed, since a probe connection or datagram would make socat fork.
 */
async function bound(port: number, transport: "tcp" | "udp"): Promise<void> {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const state = transport === "tcp" ? "0A" : "07"; // TCP_LISTEN; an unconnected UDP socket
  for (let attempt = 0; attempt < READY_TIMEOUT_MS / 25; attempt++) {
    const rows = readFileSync(`/proc/net/${transport}`, "utf8").split("\n");
    // sl, local_address, rem_address, st, ...
    if (rows.map((row) => row.trim().split(/\s+/)).some((f) => f[1] === local && f[3] === state)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`nothing bound ${transport} port ${port} in ${READY_TIMEOUT_MS} ms`);
}

function stopped(child: ChildProcess, stop: () => void): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    stop();
  });
}

/**
 * `porthost start` as users run it: every service, default settings, log level and connection
 * events, on ports the kernel picks, with a fresh data folder. One exception: every datagram
 * comes from 127.0.0.1, so the per-source UDP limit (50 replies per second) is raised, or the
 * UDP row would measure the limit and not the socket.
 */
export async function startPorthostAsUsersDo(dataDir: string): Promise<EchoServer> {
  const ports = Object.entries(ephemeralPorts());
  const porthost = await startPorthost(BIN, {
    PORTHOST_DATA_DIR: dataDir,
    ...Object.fromEntries(ports),
    PORTHOST_ECHO_UDP_RATE: "10000000",
    PORTHOST_ECHO_UDP_BURST: "10000000",
  });
  const cpu: CpuScope = { pid: porthost.process.pid!, count: "tree" };
  return {
    name: "porthost",
    tcp: porthost.port("echo"),
    udp: porthost.port("echo", "udp"),
    cpu,
    udpCpu: cpu,
    stop: async () => void (await porthost.stop()),
  };
}

/** The least a node echo can do, with nothing but pipe and send, in a process of its own. */
export async function startBareNode(): Promise<EchoServer> {
  const [tcp, udp] = await Promise.all([freePort("tcp"), freePort("udp")]);
  const child = fork(BARE, [String(tcp), String(udp)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("bare node echo was not ready in time")), READY_TIMEOUT_MS);
    child.once("message", () => resolve(clearTimeout(timer)));
    child.once("exit", (code) => reject(new Error(`bare node echo exited with ${code}`)));
  });
  const cpu: CpuScope = { pid: child.pid!, count: "process" };
  return { name: "bare node", tcp, udp, cpu, udpCpu: cpu, stop: () => stopped(child, () => child.kill("SIGTERM")) };
}

/** socat with PIPE, forking per connection and per datagram, each side in its own process group. */
export async function startSocat(): Promise<EchoServer> {
  const socat = tool("socat");
  const [tcp, udp] = await Promise.all([freePort("tcp"), freePort("udp")]);
  // Own process groups, so that stopping them also stops the children socat forks.
  const options = { stdio: "ignore", detached: true } as const;
  const tcpChild = spawn(socat, [`TCP-LISTEN:${tcp},bind=127.0.0.1,fork,reuseaddr`, "PIPE"], options);
  const udpChild = spawn(socat, [`UDP-RECVFROM:${udp},bind=127.0.0.1,fork`, "PIPE"], options);
  await Promise.all([bound(tcp, "tcp"), bound(udp, "udp")]);
  const stopGroup = (child: ChildProcess) =>
    stopped(child, () => {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        child.kill("SIGTERM");
      }
    });
  return {
    name: "socat",
    tcp,
    udp,
    cpu: { pid: tcpChild.pid!, count: "group" },
    udpCpu: { pid: udpChild.pid!, count: "group" },
    stop: async () => void (await Promise.all([stopGroup(tcpChild), stopGroup(udpChild)])),
  };
}
