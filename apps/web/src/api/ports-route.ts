import type { FastifyInstance } from "fastify";
import { formatAddress, rangeClass, type PorthostConfig } from "@porthost/ports";
import { ProbeCache } from "./port-probe.js";

const portEntrySchema = {
  type: "object",
  required: [
    "name",
    "transports",
    "wellKnownPort",
    "port",
    "rangeClass",
    "addr",
    "description",
    "rfc",
    "app",
    "implemented",
  ],
  properties: {
    name: { type: "string" },
    transports: { type: "array", items: { type: "string", enum: ["tcp", "udp"] } },
    wellKnownPort: { type: "integer" },
    port: { type: "integer", description: "the port this service listens on" },
    portSource: { type: "string", description: "which setting gave the port" },
    rangeClass: { type: "string", enum: ["system", "user", "dynamic"] },
    addr: { type: "string", description: "where a client of this service connects (PORTHOST_<SERVICE>_ADDR)" },
    description: { type: "string" },
    rfc: { type: "string" },
    app: { type: "string" },
    implemented: { type: "boolean" },
    status: {
      type: "string",
      enum: ["up", "down", "not served"],
      description: "live: whether the service's TCP port accepts a connection at addr now",
    },
  },
} as const;

export const portsResponseSchema = {
  type: "object",
  required: ["host", "portOffset", "services"],
  properties: {
    host: { type: "string" },
    portOffset: { type: "integer" },
    services: { type: "array", items: portEntrySchema },
  },
} as const;

/** GET /api/ports: the service table with each service's resolved port, address and live status. */
export function registerPortsRoute(app: FastifyInstance, config: PorthostConfig, probes = new ProbeCache()): void {
  const table = {
    host: config.host,
    portOffset: config.portOffset,
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
    })),
  };
  app.get(
    "/api/ports",
    {
      schema: {
        summary: "The service table: each service's transports, well-known port, port here and client address",
        tags: ["ports"],
        response: { 200: portsResponseSchema },
      },
    },
    async () => ({
      ...table,
      services: await Promise.all(
        table.services.map(async (s) => ({
          ...s,
          status: s.implemented ? await probes.status(config.services[s.name].addr) : ("not served" as const),
        })),
      ),
    }),
  );
}
