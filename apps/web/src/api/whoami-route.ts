import { TLSSocket } from "node:tls";
import { normalizeAddress, socketTls } from "@porthost/events";
import { rangeClass, readEphemeralRange } from "@porthost/ports";
import { WhoamiSchema } from "./ports-schemas.js";
import type { WebApp } from "./web-app.js";

/** GET /api/whoami: both ends of your connection, their ports' classes, and your request headers. */
export function registerWhoamiRoute(app: WebApp): void {
  const ephemeral = readEphemeralRange();
  const describe = (address: string | undefined, port: number | undefined) => {
    const p = port ?? 0;
    return {
      address: normalizeAddress(address),
      port: p,
      rangeClass: rangeClass(p),
      ...(ephemeral ? { inEphemeralRange: p >= ephemeral.low && p <= ephemeral.high } : {}),
    };
  };
  app.get(
    "/api/whoami",
    {
      schema: {
        summary: "Both ends of this HTTP connection: your ephemeral port, the server's port, and the TLS over HTTPS",
        tags: ["ports"],
        response: { 200: WhoamiSchema },
      },
    },
    async (request) => {
      const socket = request.raw.socket;
      const secure = socket instanceof TLSSocket;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
      }
      return {
        client: describe(socket.remoteAddress, socket.remotePort),
        server: describe(socket.localAddress, socket.localPort),
        service: secure ? "https" : "http",
        transport: "tcp" as const,
        ...(secure ? { tls: socketTls(socket, "implicit") } : {}),
        httpVersion: request.raw.httpVersion,
        method: request.method,
        url: request.url,
        headers,
      };
    },
  );
}
