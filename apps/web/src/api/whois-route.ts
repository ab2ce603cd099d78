import type { FastifyInstance } from "fastify";
import { describeName, describePort, type PorthostConfig } from "@porthost/ports";
import { webErrors } from "../web-errors.js";

const paramsSchema = {
  type: "object",
  required: ["query"],
  properties: {
    query: { type: "string", minLength: 1, maxLength: 64, description: "a port number (0-65535) or a service name" },
  },
} as const;

/** GET /api/whois/:query: what a port number or a service name means, as `porthost whois` says. */
export function registerWhoisRoute(app: FastifyInstance, config: PorthostConfig): void {
  app.get<{ Params: { query: string } }>(
    "/api/whois/:query",
    {
      schema: {
        summary: "What a port number or service name means: IANA range, well-known name, services database, porthost",
        tags: ["ports"],
        params: paramsSchema,
      },
    },
    async (request, reply) => {
      const query = request.params.query.trim();
      if (/^\d+$/.test(query)) {
        const port = Number(query);
        if (port > 65535) return reply.code(400).send(webErrors.notAPort(query));
        return { kind: "port", ...describePort(port, config) };
      }
      if (/^-?\d/.test(query)) return reply.code(400).send(webErrors.notAPort(query));
      const facts = describeName(query, config);
      if (!facts.porthost && facts.wellKnown.length === 0 && facts.servicesDatabase.length === 0) {
        return reply.code(404).send(webErrors.unknownName(query));
      }
      return { kind: "name", ...facts };
    },
  );
}
