import { Type } from "typebox";
import { describeName, describePort, type PorthostConfig } from "@porthost/ports";
import { WebErrorSchema, webErrors } from "../web-errors.js";
import { WhoisSchema } from "./ports-schemas.js";
import type { WebApp } from "./web-app.js";

const QueryParamsSchema = Type.Object({
  query: Type.String({ minLength: 1, maxLength: 64, description: "a port number (0-65535) or a service name" }),
});

/** GET /api/whois/:query: what a port number or a service name means, as `porthost whois` says. */
export function registerWhoisRoute(app: WebApp, config: PorthostConfig): void {
  app.get(
    "/api/whois/:query",
    {
      schema: {
        summary: "What a port number or service name means: IANA range, well-known name, services database, porthost",
        tags: ["ports"],
        params: QueryParamsSchema,
        response: { 200: WhoisSchema, 400: WebErrorSchema, 404: WebErrorSchema },
      },
    },
    async (request, reply) => {
      const query = request.params.query.trim();
      if (/^\d+$/.test(query)) {
        const port = Number(query);
        if (port > 65535) return reply.code(400).send(webErrors.notAPort(query));
        return { kind: "port" as const, ...describePort(port, config) };
      }
      if (/^-?\d/.test(query)) return reply.code(400).send(webErrors.notAPort(query));
      const facts = describeName(query, config);
      if (!facts.porthost && facts.wellKnown.length === 0 && facts.servicesDatabase.length === 0) {
        return reply.code(404).send(webErrors.unknownName(query));
      }
      return { kind: "name" as const, ...facts };
    },
  );
}
