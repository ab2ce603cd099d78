import net from "node:net";
import { connectErrorState, isSelfConnect } from "@porthost/clients";
import type { Address } from "@porthost/ports";

export type PortStatus = "up" | "down";

/** How long one probe waits for a TCP handshake. */
export const PROBE_TIMEOUT_MS = 500; // 0.5 s
/** Probe results are reused this long, so polling the table does not flood the services. */
export const PROBE_CACHE_MS = 2_000; // 2 s

/** How long a probe's socket may stay half-closed before it is dropped (the service closes it at once). */
const CLOSE_GRACE_MS = 5_000; // 5 s

/**
 * Whether something accepts a TCP connection at the address: a handshake, then a close with FIN.
 * Not the scanner's reset (`porthost scan`, nmap -sT): a connection reset before the service
 * accepted it has lost its peer's address, and the switchboard would show the page's own
 * probes, every 30 s, as coming from 0.0.0.0:0.
 */
export function probeTcp(address: Address, timeoutMs = PROBE_TIMEOUT_MS): Promise<PortStatus> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address.host, port: address.port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve("down");
    }, timeoutMs);
    socket.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      // The vault resets whoever has not knocked, at times before the connect callback runs: open.
      resolve(connectErrorState(error.code) === "open" ? "up" : "down");
    });
    socket.once("connect", () => {
      clearTimeout(timer);
      // The kernel picked the probed port as this socket's own and the SYN met itself: nothing listens.
      resolve(isSelfConnect(socket) ? "down" : "up");
      socket.resume(); // a greeting is read and dropped
      socket.end();
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    });
  });
}

/** Probes shared for PROBE_CACHE_MS per address. */
export class ProbeCache {
  private readonly results = new Map<string, { at: number; status: Promise<PortStatus> }>();

  constructor(private readonly probe: (address: Address) => Promise<PortStatus> = probeTcp) {}

  status(address: Address): Promise<PortStatus> {
    const key = `${address.host}:${address.port}`;
    const now = Date.now();
    const hit = this.results.get(key);
    if (hit && now - hit.at < PROBE_CACHE_MS) return hit.status;
    const status = this.probe(address);
    this.results.set(key, { at: now, status });
    return status;
  }
}
