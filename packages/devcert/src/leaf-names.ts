import { isIP } from "node:net";
import { SERVICES, type PorthostConfig } from "@porthost/ports";
import type { SubjectNames } from "./cert-names.js";

const WILDCARD_BINDS = new Set(["0.0.0.0", "::"]);

/**
 * The names a client may use to reach porthost: localhost and loopback, the bound address,
 * each compose service name (every app in the port table, so `smtp:25` verifies inside
 * compose), and the host names PORTHOST_HTTP_ALLOWED_HOSTS lets in (`.domain` as the domain
 * and `*.domain`).
 */
export function leafNames(config: Pick<PorthostConfig, "host" | "http">): SubjectNames {
  const candidates = ["localhost", "127.0.0.1", "::1", ...new Set(SERVICES.map((service) => service.app))];
  if (!WILDCARD_BINDS.has(config.host)) candidates.push(config.host.toLowerCase());
  for (const allowed of config.http.allowedHosts) {
    if (allowed === "*") continue;
    if (allowed.startsWith(".")) candidates.push(allowed.slice(1), `*${allowed}`);
    else candidates.push(allowed);
  }
  const unique = [...new Set(candidates)];
  return {
    dns: unique.filter((name) => isIP(name) === 0),
    ip: unique.filter((name) => isIP(name) !== 0),
  };
}
