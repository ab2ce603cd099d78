import { readFileSync } from "node:fs";

/** IANA's three ranges (RFC 6335 section 6). */
export type RangeClass = "system" | "user" | "dynamic";

export interface PortRange {
  readonly low: number;
  readonly high: number;
}

export const IANA_RANGES: Readonly<Record<RangeClass, PortRange & { readonly label: string }>> = Object.freeze({
  system: { low: 0, high: 1023, label: "system (well-known) ports, 0-1023" },
  user: { low: 1024, high: 49151, label: "user (registered) ports, 1024-49151" },
  dynamic: { low: 49152, high: 65535, label: "dynamic (private, ephemeral) ports, 49152-65535" },
});

export function isPortNumber(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 65535;
}

export function rangeClass(port: number): RangeClass {
  if (!isPortNumber(port)) throw new RangeError(`${port} is not a port number (0-65535)`);
  if (port <= IANA_RANGES.system.high) return "system";
  if (port <= IANA_RANGES.user.high) return "user";
  return "dynamic";
}

export const EPHEMERAL_RANGE_FILE = "/proc/sys/net/ipv4/ip_local_port_range";

/** Parses Linux's `ip_local_port_range` ("32768\t60999"). */
export function parseEphemeralRange(text: string): PortRange | undefined {
  const match = /^\s*(\d+)\s+(\d+)\s*$/.exec(text);
  if (!match) return undefined;
  const low = Number(match[1]);
  const high = Number(match[2]);
  return isPortNumber(low) && isPortNumber(high) && low <= high ? { low, high } : undefined;
}

/** This machine's ephemeral range, where the kernel picks client ports; undefined off Linux. */
export function readEphemeralRange(file: string = EPHEMERAL_RANGE_FILE): PortRange | undefined {
  try {
    return parseEphemeralRange(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}
