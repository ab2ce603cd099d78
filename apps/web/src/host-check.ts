import { isIP } from "node:net";
import type { FastifyInstance } from "fastify";
import type { PorthostConfig } from "@porthost/ports";
import { webErrors } from "./web-errors.js";

/** Names every porthost answers to, as Vite's dev server does: localhost and the names under .localhost. */
const LOCAL_NAMES = ["localhost", ".localhost"];

/** The name in a Host header, lower case, without its port, brackets or a final dot. */
export function hostName(host: string): string {
  const value = host.trim().toLowerCase();
  if (value.startsWith("[")) return value.slice(1, value.indexOf("]") === -1 ? undefined : value.indexOf("]"));
  const colon = value.lastIndexOf(":");
  const name = colon === -1 ? value : value.slice(0, colon);
  return name.endsWith(".") ? name.slice(0, -1) : name;
}

/**
 * Which Host names the web service answers: any IP address (a page cannot rebind a name to
 * one: the browser's origin is the address itself), localhost and *.localhost, the address it
 * binds, every service's PORTHOST_<SERVICE>_ADDR host (the compose service names, such as web),
 * and PORTHOST_HTTP_ALLOWED_HOSTS (`name`, `.domain` for it and the names under it, `*` for any).
 * Undefined when every name is allowed.
 */
export function allowedHost(config: PorthostConfig): ((host: string) => boolean) | undefined {
  const listed = config.http.allowedHosts;
  if (listed.includes("*")) return undefined;
  const exact = new Set<string>([config.host.toLowerCase()]);
  for (const service of Object.values(config.services)) exact.add(service.addr.host.toLowerCase());
  const domains: string[] = [];
  for (const entry of [...LOCAL_NAMES, ...listed]) {
    if (entry.startsWith(".")) {
      domains.push(entry);
      exact.add(entry.slice(1));
    } else exact.add(entry);
  }
  return (host) => {
    const name = hostName(host);
    return exact.has(name) || isIP(name) !== 0 || domains.some((domain) => name.endsWith(domain));
  };
}

/**
 * Refuses a request whose Host is not a name porthost serves, before any route (the API's and
 * the static files') runs: a page on another domain whose name an attacker re-points at
 * 127.0.0.1 (DNS rebinding) then reads nothing and deletes nothing. A request without Host
 * (HTTP/1.0; node refuses HTTP/1.1 without one) names no domain and goes on.
 */
export function checkHost(app: FastifyInstance, config: PorthostConfig): void {
  const allowed = allowedHost(config);
  if (allowed === undefined) return;
  app.addHook("onRequest", (request, reply, done) => {
    const host = request.headers.host;
    if (host === undefined || allowed(host)) return done();
    void reply.code(421).send(webErrors.hostNotAllowed(host));
  });
}
