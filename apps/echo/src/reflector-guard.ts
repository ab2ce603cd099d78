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

/** Every address of this host's interfaces, loopback included, as datagram senders are written. */
export function interfaceAddresses(
  interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces(),
): Set<string> {
  const addresses = new Set<string>(["::1"]);
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) addresses.add(normalizeAddress(info.address).toLowerCase());
  }
  return addresses;
}

/**
 * Why a reply would go to one of porthost's own endpoints (a port of its table on an address
 * of this host, all of 127/8 included), or undefined. A datagram forged "from" echo's own
 * port would otherwise make echo answer itself until the rate limit stopped it.
 */
export function ownEndpoint(
  address: string,
  port: number,
  ownPorts: ReadonlySet<number>,
  localAddresses: ReadonlySet<string>,
): string | undefined {
  if (!ownPorts.has(port)) return undefined;
  const host = normalizeAddress(address).toLowerCase();
  const scopeless = host.replace(/%.*$/, "");
  const local = (isIPv4(host) && host.startsWith("127.")) || localAddresses.has(scopeless);
  return local ? `source ${host} port ${port} is one of porthost's own endpoints` : undefined;
}

export interface ReflectorGuardOptions {
  /** This host's broadcast addresses; tests pass their own. */
  readonly readBroadcasts?: () => Set<string>;
  /** This host's addresses; tests pass their own. */
  readonly readLocalAddresses?: () => Set<string>;
  /** The ports of porthost's table and the ones bound: a local sender on one of them gets no reply. */
  readonly ownPorts?: ReadonlySet<number>;
}

/**
 * unsafeSource and ownEndpoint with this host's broadcast and own addresses, read again every
 * INTERFACES_REFRESH_MS.
 */
export function createReflectorGuard(options: ReflectorGuardOptions = {}) {
  const { readBroadcasts = interfaceBroadcasts, readLocalAddresses = interfaceAddresses } = options;
  const ownPorts = options.ownPorts ?? new Set<number>();
  let broadcasts = readBroadcasts();
  let localAddresses = readLocalAddresses();
  let readAt = performance.now();
  return (address: string, port: number): string | undefined => {
    if (performance.now() - readAt > INTERFACES_REFRESH_MS) {
      broadcasts = readBroadcasts();
      localAddresses = readLocalAddresses();
      readAt = performance.now();
    }
    return unsafeSource(address, port, broadcasts) ?? ownEndpoint(address, port, ownPorts, localAddresses);
  };
}
