import { lookup } from "node:dns/promises";
import { existsSync } from "node:fs";
import net from "node:net";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

/**
 * What one TCP connection attempt found, in nmap's words: `open` (the handshake completed: a
 * server listens), `closed` (the host answered with a reset: nothing listens), `filtered` (no
 * answer in time, or the network said the host cannot be reached).
 */
export type PortState = "open" | "closed" | "filtered";

export interface PortProbe {
  readonly port: number;
  readonly state: PortState;
  /** The ephemeral port this side connected from (known when the port is open). */
  readonly localPort: number | undefined;
  readonly ms: number;
  /**
   * Handshakes that completed with this side's own socket: the kernel picked `port` itself as
   * the ephemeral port, so the SYN met itself (TCP simultaneous open). nmap retries such a probe
   * and so does porthost; nothing listens there, so the retry finds the port closed.
   */
  readonly selfConnects: number;
}

/** How long one attempt waits for the handshake. */
export const SCAN_TIMEOUT_MS = 1_000; // 1 s
/** Attempts in flight at once, over all threads: about nmap's ceiling (FD_SETSIZE - 10). */
export const SCAN_CONCURRENCY = 1_000;
/** Scans of at least this many ports are shared among worker threads, one per core. */
export const SCAN_THREADS_FROM_PORTS = 4_096;
/** Self-connects tolerated on one port before it is called closed (nmap retries, too). */
const SELF_CONNECT_RETRIES = 2;
/**
 * A refused SYN is a closed port. A reset after the handshake (ECONNRESET: a server that accepts
 * and drops at once, like the knock-guarded vault) means something listens: open, as nmap says.
 */
const STATE_BY_CODE: Readonly<Record<string, PortState>> = { ECONNREFUSED: "closed", ECONNRESET: "open" };

/**
 * What a failed connect says of the port, as nmap's connect scan reads it: refused is closed; a
 * reset came after a completed handshake (even one that beat the connect callback), so the port
 * is open; anything else (a timeout, unreachable) is filtered.
 */
export function connectErrorState(code: string | undefined): PortState {
  return STATE_BY_CODE[code ?? ""] ?? "filtered";
}
const WORKER = new URL("./port-scan-worker.js", import.meta.url);

/**
 * A connected socket whose peer is itself: same address, same port (what nmap's connect scan
 * checks with getsockname). It happens when the kernel picks the very port being probed as the
 * ephemeral port; the SYN then crosses itself and the handshake completes with no server at all.
 */
export function isSelfConnect(socket: net.Socket): boolean {
  return socket.localPort === socket.remotePort && socket.localAddress === socket.remoteAddress;
}

export interface ScanOptions {
  readonly timeoutMs?: number;
  readonly concurrency?: number;
  /** Worker threads to share the ports among; default one per core for large scans. */
  readonly threads?: number;
}

/**
 * Connect-scans `ports` in this thread with `concurrency` sockets that are each reused from one
 * attempt to the next (`connect` again after `close`, which node allows), so a probe costs a
 * handle and a connect, not a new stream object and its listeners; one sweep timer for every
 * attempt's deadline, not a timer per socket.
 */
export function probePorts(
  host: string,
  ports: readonly number[],
  timeoutMs = SCAN_TIMEOUT_MS,
  concurrency = SCAN_CONCURRENCY,
): Promise<PortProbe[]> {
  const results = new Array<PortProbe>(ports.length);
  const selfConnects = new Map<number, number>();
  const retries: number[] = []; // indexes of ports to probe again after a self-connect
  let next = 0;
  let active = 0;
  return new Promise((resolve) => {
    if (ports.length === 0) return resolve([]);
    interface Slot {
      readonly socket: net.Socket;
      index: number;
      started: number;
      busy: boolean;
    }
    const slots: Slot[] = [];
    const settle = (slot: Slot, state: PortState | "self"): void => {
      if (!slot.busy) return;
      slot.busy = false;
      const { socket, index } = slot;
      const port = ports[index]!;
      if (state === "self") {
        const seen = (selfConnects.get(port) ?? 0) + 1;
        selfConnects.set(port, seen);
        if (seen <= SELF_CONNECT_RETRIES) retries.push(index);
        else results[index] = probe(port, "closed", undefined, slot.started);
      } else {
        results[index] = probe(port, state, state === "open" ? socket.localPort : undefined, slot.started);
      }
      // An RST rather than FIN: no TIME_WAIT left behind on either side (nmap sets SO_LINGER 0).
      if (state === "open" || state === "self") socket.resetAndDestroy();
      else socket.destroy();
    };
    const probe = (port: number, state: PortState, localPort: number | undefined, started: number): PortProbe => ({
      port,
      state,
      localPort,
      ms: performance.now() - started,
      selfConnects: selfConnects.get(port) ?? 0,
    });
    const launch = (slot: Slot): void => {
      const index = retries.pop() ?? (next < ports.length ? next++ : undefined);
      if (index === undefined) {
        if (active === 0) {
          clearInterval(sweep);
          resolve(results);
        }
        return;
      }
      active++;
      slot.index = index;
      slot.started = performance.now();
      slot.busy = true;
      slot.socket.connect(ports[index]!, host);
    };
    const sweep = setInterval(
      () => {
        const late = performance.now() - timeoutMs;
        for (const slot of slots) if (slot.busy && slot.started <= late) settle(slot, "filtered");
      },
      Math.min(100, Math.max(1, timeoutMs / 4)),
    );
    for (let i = 0; i < Math.max(1, Math.min(concurrency, ports.length)); i++) {
      const socket = new net.Socket();
      const slot: Slot = { socket, index: 0, started: 0, busy: false };
      socket.on("connect", () => settle(slot, isSelfConnect(socket) ? "self" : "open"));
      socket.on("error", (error: NodeJS.ErrnoException) => settle(slot, connectErrorState(error.code)));
      socket.on("close", () => {
        active--;
        launch(slot);
      });
      slots.push(slot);
    }
    for (const slot of slots) launch(slot);
  });
}

/** One TCP connect attempt: the handshake, then an immediate close (a connect scan, nmap -sT). */
export async function probeTcpPort(host: string, port: number, timeoutMs = SCAN_TIMEOUT_MS): Promise<PortProbe> {
  const [result] = await probePorts(host, [port], timeoutMs, 1);
  return result!;
}

/** The worker's input; it answers with one PortProbe[] for its share. */
export interface ScanShare {
  readonly host: string;
  readonly ports: readonly number[];
  readonly timeoutMs: number;
  readonly concurrency: number;
}

function scanInWorker(share: ScanShare): Promise<PortProbe[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: share });
    worker.once("message", (probes: PortProbe[]) => resolve(probes));
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the scan's worker thread exited with ${code}`)));
  });
}

/**
 * Probes every port, at most `concurrency` at a time; the results come back in port order. A
 * large scan is dealt out to one worker thread per core (a probe is mostly node's per-socket
 * work, which one thread cannot do as fast as the kernel answers on loopback).
 */
export async function scanTcp(host: string, ports: readonly number[], options: ScanOptions = {}): Promise<PortProbe[]> {
  const timeoutMs = options.timeoutMs ?? SCAN_TIMEOUT_MS;
  const concurrency = options.concurrency ?? SCAN_CONCURRENCY;
  // One name lookup for the whole scan, not one per probe.
  const address = net.isIP(host) === 0 ? (await lookup(host)).address : host;
  const threads =
    options.threads ??
    (ports.length >= SCAN_THREADS_FROM_PORTS && existsSync(fileURLToPath(WORKER)) ? availableParallelism() : 1);
  if (threads <= 1) return (await probePorts(address, ports, timeoutMs, concurrency)).sort((a, b) => a.port - b.port);
  const shares = Array.from({ length: threads }, (_, t) => ports.filter((_, i) => i % threads === t));
  const perThread = Math.max(1, Math.ceil(concurrency / threads));
  const probes = await Promise.all(
    shares.map((share) => scanInWorker({ host: address, ports: share, timeoutMs, concurrency: perThread })),
  );
  return probes.flat().sort((a, b) => a.port - b.port);
}
