import { formatAddress, rangeClass, type PorthostConfig, type ServiceName } from "@porthost/ports";
import { ProbeCache } from "./port-probe.js";
import { PortsReplySchema } from "./ports-schemas.js";
import type { WebApp } from "./web-app.js";

/**
 * Where a service's liveness is probed: its address, except the knock sequence's, where a
 * connection would be a knock (a wrong one resets the knocking address): its app's vault instead.
 */
function probedAddress(config: PorthostConfig, name: ServiceName) {
  return name === "knock" ? config.services.vault.addr : config.services[name].addr;
}

/** GET /api/ports: the service table with each service's resolved port, address and live status. */
export function registerPortsRoute(app: WebApp, config: PorthostConfig, probes = new ProbeCache()): void {
  const table = {
    host: config.host,
    portOffset: config.portOffset,
    dataDir: config.dataDir,
    services: Object.values(config.services).map((s) => ({
      name: s.name,
      transports: s.transports,
      wellKnownPort: s.wellKnownPort,
      port: s.port,
      portSource: s.portSource,
      rangeClass: rangeClass(s.port),
      addr: formatAddress(s.addr),
      description: s.description,
      rfc: s.rfc,
      app: s.app,
      implemented: s.implemented,
      ...(s.sequence ? { sequence: s.sequence } : {}),
    })),
  };
  app.get(
    "/api/ports",
    {
      schema: {
        summary: "The service table: each service's transports, well-known port, port here and client address",
        tags: ["ports"],
        response: { 200: PortsReplySchema },
      },
    },
    async () => ({
      ...table,
      services: await Promise.all(
        table.services.map(async (s) => ({
          ...s,
          status: s.implemented ? await probes.status(probedAddress(config, s.name)) : ("not served" as const),
        })),
      ),
    }),
  );
}
