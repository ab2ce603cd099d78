import { isIPv4 } from "node:net";
import os from "node:os";
import { normalizeAddress } from "@porthost/events";

/** Below this a source port belongs to a system service (RFC 6335's system range). */
export const FIRST_UNPRIVILEGED_PORT = 1024;
/** NFS answers from 2049, and OpenBSD's inetd refuses it as a source like the privileged ports. */
export const NFS_PORT = 2049;
/** How often the list of this host's broadcast addresses is read again. */
export const INTERFACES_REFRESH_MS = 60_000; // 1 min

function ipv4ToNumber(address: string): number {
  return address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

function numberToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** The directed broadcast address of every IPv4 network this host is on. */
export function interfaceBroadcasts(
  interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces(),
): Set<string> {
  const broadcasts = new Set<string>(["255.255.255.255"]);
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) {
      if (info.family !== "IPv4" || info.netmask === "255.255.255.255") continue;
      const mask = ipv4ToNumber(info.netmask);
      broadcasts.add(numberToIpv4(((ipv4ToNumber(info.address) & mask) | ~mask) >>> 0));
    }
  }
  return broadcasts;
}

/**
 * Why a UDP reply to this source would be unsafe, or undefined when it is fine. Following
 * OpenBSD inetd's dg_badinput: a forged datagram "from" another UDP service's port (echo to
 * chargen, CERT CA-1996-01) or from a broadcast or multicast address must never get a reply,
 * or two services would bounce packets between them forever.
 */
export function unsafeSource(address: string, port: number, broadcasts: ReadonlySet<string>): string | undefined {
  if (port < FIRST_UNPRIVILEGED_PORT) return `source port ${port} is below ${FIRST_UNPRIVILEGED_PORT}`;
  if (port === NFS_PORT) return `source port ${port} is NFS`;
  const host = normalizeAddress(address);
  if (isIPv4(host)) {
    const first = Number(host.slice(0, host.indexOf(".")));
    if (first === 0 || first === 255) return `source address ${host} is not a host`;
    if (first >= 224 && first <= 239) return `source address ${host} is multicast`;
    if (broadcasts.has(host)) return `source address ${host} is a broadcast address`;
    return undefined;
  }
  const lower = host.toLowerCase();
  if (lower.startsWith("ff")) return `source address ${host} is multicast`;
  if (lower === "::") return "source address :: is unspecified";
  return undefined;
}

/** unsafeSource with this host's broadcast addresses, read again every INTERFACES_REFRESH_MS. */
export function createReflectorGuard(readBroadcasts: () => Set<string> = interfaceBroadcasts) {
  let broadcasts = readBroadcasts();
  let readAt = performance.now();
  return (address: string, port: number): string | undefined => {
    if (performance.now() - readAt > INTERFACES_REFRESH_MS) {
      broadcasts = readBroadcasts();
      readAt = performance.now();
    }
    return unsafeSource(address, port, broadcasts);
  };
}
