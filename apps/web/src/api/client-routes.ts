import type { FastifyInstance } from "fastify";
import { sendMail, tcpRoundTrip, udpRoundTrip } from "@porthost/clients";
import { formatAddress, type PorthostConfig } from "@porthost/ports";
import { webErrorSchema, webErrors } from "../web-errors.js";

const ADDRESS_PATTERN = "^[^\\s@<>]+@[^\\s@<>]+$";
const MAX_SUBJECT_CHARS = 998; // RFC 5322's line limit
const MAX_TEXT_CHARS = 100_000;

const endpointSchema = {
  type: "object",
  properties: { address: { type: "string" }, port: { type: "integer" } },
} as const;

const sendBodySchema = {
  type: "object",
  required: ["to"],
  additionalProperties: false,
  properties: {
    from: { type: "string", pattern: ADDRESS_PATTERN, maxLength: 254, default: "porthost@localhost" },
    to: {
      anyOf: [
        { type: "string", pattern: ADDRESS_PATTERN, maxLength: 254 },
        {
          type: "array",
          minItems: 1,
          maxItems: 20,
          items: { type: "string", pattern: ADDRESS_PATTERN, maxLength: 254 },
        },
      ],
    },
    subject: { type: "string", maxLength: MAX_SUBJECT_CHARS, default: "Hello from porthost" },
    text: { type: "string", maxLength: MAX_TEXT_CHARS, default: "Sent from porthost's web service." },
    html: { type: "string", maxLength: MAX_TEXT_CHARS },
  },
} as const;

interface SendBody {
  from: string;
  to: string | string[];
  subject: string;
  text: string;
  html?: string;
}

const echoBodySchema = {
  type: "object",
  required: ["text"],
  additionalProperties: false,
  properties: {
    text: { type: "string", minLength: 1, maxLength: 65_507, description: "what to send; comes back unchanged" },
    transport: { type: "string", enum: ["tcp", "udp"], default: "tcp" },
  },
} as const;

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * POST /api/send and POST /api/echo: the web service as a client of the other ports, reporting
 * the ephemeral port its side of each conversation used.
 */
export function registerClientRoutes(app: FastifyInstance, config: PorthostConfig): void {
  const smtp = config.services.smtp.addr;
  const echo = config.services.echo.addr;

  app.post<{ Body: SendBody }>(
    "/api/send",
    {
      schema: {
        summary: `Send one mail through nodemailer to the SMTP service (${formatAddress(smtp)})`,
        tags: ["clients"],
        body: sendBodySchema,
        response: {
          200: {
            type: "object",
            properties: {
              server: { type: "string" },
              localPort: { type: "integer", description: "the ephemeral port the web service's side used" },
              response: { type: "string" },
              messageId: { type: "string" },
              accepted: { type: "array", items: { type: "string" } },
              id: { type: "string", description: "the stored message's id, from the 250 reply" },
            },
          },
          "5xx": webErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      try {
        const result = await sendMail(smtp, {
          from: body.from,
          to: Array.isArray(body.to) ? body.to : [body.to],
          subject: body.subject,
          text: body.text,
          ...(body.html === undefined ? {} : { html: body.html }),
        });
        const id = /queued as (\S+)/.exec(result.response)?.[1];
        return { ...result, ...(id ? { id } : {}) };
      } catch (error) {
        const responseCode = (error as { responseCode?: unknown }).responseCode;
        if (typeof responseCode === "number")
          return reply.code(502).send(webErrors.upstreamRefused("smtp", (error as Error).message));
        return reply
          .code(502)
          .send(webErrors.upstreamDown("smtp", formatAddress(smtp), errnoCode(error) ?? (error as Error).message));
      }
    },
  );

  app.post<{ Body: { text: string; transport: "tcp" | "udp" } }>(
    "/api/echo",
    {
      schema: {
        summary: `A TCP or UDP round trip to the echo service (${formatAddress(echo)})`,
        tags: ["clients"],
        body: echoBodySchema,
        response: {
          200: {
            type: "object",
            properties: {
              transport: { type: "string" },
              local: { ...endpointSchema, description: "the web service's side: its ephemeral port" },
              remote: { ...endpointSchema, description: "the echo service's side" },
              sent: { type: "integer" },
              received: { type: "string" },
              roundTripMs: { type: "number" },
            },
          },
          "4xx": webErrorSchema,
          "5xx": webErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const { text, transport } = request.body;
      if (transport === "udp" && Buffer.byteLength(text) > config.echo.maxDatagramBytes) {
        return reply.code(400).send(webErrors.datagramTooBig(Buffer.byteLength(text), config.echo.maxDatagramBytes));
      }
      try {
        const result = await (transport === "udp"
          ? udpRoundTrip(echo.host, echo.port, text)
          : tcpRoundTrip(echo.host, echo.port, text));
        return { transport, ...result };
      } catch (error) {
        return reply
          .code(502)
          .send(webErrors.upstreamDown("echo", formatAddress(echo), errnoCode(error) ?? (error as Error).message));
      }
    },
  );
}
