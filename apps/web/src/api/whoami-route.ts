import type { FastifyInstance } from "fastify";
import { rangeClass, readEphemeralRange } from "@porthost/ports";

const endpointSchema = {
  type: "object",
  required: ["address", "port", "rangeClass"],
  properties: {
    address: { type: "string" },
    port: { type: "integer" },
    rangeClass: { type: "string", enum: ["system", "user", "dynamic"] },
    inEphemeralRange: {
      type: "boolean",
      description: "whether the port lies in this server machine's ephemeral range (Linux ip_local_port_range)",
    },
  },
} as const;

export const whoamiResponseSchema = {
  type: "object",
  required: ["client", "server", "service", "transport", "httpVersion", "method", "url", "headers"],
  properties: {
    client: { ...endpointSchema, description: "your side: the address and the ephemeral port your system picked" },
    server: { ...endpointSchema, description: "this side: the address and port that took the connection" },
    service: { type: "string", description: "the porthost service that answered" },
    transport: { type: "string" },
    httpVersion: { type: "string" },
    method: { type: "string" },
    url: { type: "string" },
    headers: { type: "object", additionalProperties: { type: "string" } },
  },
} as const;

function unmapped(address: string | undefined): string {
  return (address ?? "").replace(/^::ffff:/, "");
}

/** GET /api/whoami: both ends of your connection, their ports' classes, and your request headers. */
export function registerWhoamiRoute(app: FastifyInstance): void {
  const ephemeral = readEphemeralRange();
  const describe = (address: string | undefined, port: number | undefined) => {
    const p = port ?? 0;
    return {
      address: unmapped(address),
      port: p,
      rangeClass: rangeClass(p),
      ...(ephemeral ? { inEphemeralRange: p >= ephemeral.low && p <= ephemeral.high } : {}),
    };
  };
  app.get(
    "/api/whoami",
    {
      schema: {
        summary: "Both ends of this HTTP connection: your ephemeral port and the server's port",
        tags: ["ports"],
        response: { 200: whoamiResponseSchema },
      },
    },
    async (request) => {
      const socket = request.raw.socket;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
      }
      return {
        client: describe(socket.remoteAddress, socket.remotePort),
        server: describe(socket.localAddress, socket.localPort),
        service: "http",
        transport: "tcp",
        httpVersion: request.raw.httpVersion,
        method: request.method,
        url: request.url,
        headers,
      };
    },
  );
}
