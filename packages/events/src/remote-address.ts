import { isIPv4 } from "node:net";

const MAPPED_IPV4 = "::ffff:";

/**
 * A client's address as people write it and as events carry it: an IPv4 client of a
 * dual-stack socket (`::ffff:10.0.0.1`) as plain IPv4, a link-local address without its zone
 * (`fe80::1%eth0`: the zone names this host's interface, not the client), and no address at
 * all (a socket that closed before it was read) as `0.0.0.0`.
 */
export function normalizeAddress(address: string | undefined): string {
  if (address === undefined || address === "") return "0.0.0.0";
  if (address.startsWith(MAPPED_IPV4) && isIPv4(address.slice(MAPPED_IPV4.length)))
    return address.slice(MAPPED_IPV4.length);
  const zone = address.indexOf("%");
  return zone === -1 ? address : address.slice(0, zone);
}
