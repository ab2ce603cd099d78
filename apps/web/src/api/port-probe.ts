import { probeTcpPort } from "@porthost/clients";
import type { Address } from "@porthost/ports";

export type PortStatus = "up" | "down";

/** How long one probe waits for a TCP handshake. */
export const PROBE_TIMEOUT_MS = 500; // 0.5 s
/** Probe results are reused this long, so polling the table does not flood the services. */
export const PROBE_CACHE_MS = 2_000; // 2 s

/** Whether something accepts a TCP connection at the address (a handshake, then an immediate close). */
export async function probeTcp(address: Address, timeoutMs = PROBE_TIMEOUT_MS): Promise<PortStatus> {
  return (await probeTcpPort(address.host, address.port, timeoutMs)).state === "open" ? "up" : "down";
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
