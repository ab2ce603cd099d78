import { X509Certificate } from "node:crypto";
import { isIP, SocketAddress } from "node:net";

export interface SubjectNames {
  readonly dns: readonly string[];
  readonly ip: readonly string[];
}

/** One spelling per address (`::1`, never `0:0:0:0:0:0:0:1`), so names from a certificate and from the config compare. */
function canonicalIp(address: string): string {
  const family = isIP(address) === 6 ? "ipv6" : "ipv4";
  return new SocketAddress({ address, family }).address;
}

/**
 * The names a certificate's subjectAltName holds, as `dns:name` and `ip:address` in a sorted list,
 * read with node's own X509Certificate: checking a leaf at start-up loads no certificate library.
 */
export function certificateNames(certPem: string): string[] {
  const san = new X509Certificate(certPem).subjectAltName ?? "";
  const names: string[] = [];
  for (const entry of san.split(", ")) {
    if (entry.startsWith("DNS:")) names.push(`dns:${entry.slice("DNS:".length).toLowerCase()}`);
    else if (entry.startsWith("IP Address:")) names.push(`ip:${canonicalIp(entry.slice("IP Address:".length))}`);
  }
  return names.sort();
}

/** The same list for the names a leaf should hold. */
export function expectedNames(names: SubjectNames): string[] {
  return [
    ...names.dns.map((name) => `dns:${name.toLowerCase()}`),
    ...names.ip.map((ip) => `ip:${canonicalIp(ip)}`),
  ].sort();
}
