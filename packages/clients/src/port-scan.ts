import net from "node:net";

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
}

/** How long one attempt waits for the handshake. */
export const SCAN_TIMEOUT_MS = 1_000; // 1 s
/** Attempts in flight at once: well under the usual limit of 1024 open files. */
export const SCAN_CONCURRENCY = 200;

const CLOSED_CODES = new Set(["ECONNREFUSED", "ECONNRESET"]);

/** One TCP connect attempt: the handshake, then an immediate close (a connect scan, nmap -sT). */
export function probeTcpPort(host: string, port: number, timeoutMs = SCAN_TIMEOUT_MS): Promise<PortProbe> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect({ host, port });
    let localPort: number | undefined;
    const done = (state: PortState): void => {
      localPort ??= socket.localPort;
      socket.destroy();
      resolve({ port, state, localPort, ms: performance.now() - started });
    };
    socket.setTimeout(timeoutMs, () => done("filtered"));
    socket.once("connect", () => done("open"));
    socket.once("error", (error: NodeJS.ErrnoException) =>
      done(CLOSED_CODES.has(error.code ?? "") ? "closed" : "filtered"),
    );
  });
}

export interface ScanOptions {
  readonly timeoutMs?: number;
  readonly concurrency?: number;
}

/** Probes every port, at most `concurrency` at a time; the results come back in port order. */
export async function scanTcp(host: string, ports: readonly number[], options: ScanOptions = {}): Promise<PortProbe[]> {
  const timeoutMs = options.timeoutMs ?? SCAN_TIMEOUT_MS;
  const results: PortProbe[] = new Array<PortProbe>(ports.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ports.length) {
      const index = next++;
      results[index] = await probeTcpPort(host, ports[index]!, timeoutMs);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? SCAN_CONCURRENCY, ports.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results.sort((a, b) => a.port - b.port);
}
