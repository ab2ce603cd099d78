import { sendMail, tcpRoundTrip, udpRoundTrip } from "@porthost/clients";
import { formatAddress, type PorthostConfig } from "@porthost/ports";
import { WebErrorSchema, webErrors } from "../web-errors.js";
import { portInAddress, sendFailure } from "./send-failure.js";
import {
  DEFAULT_ECHO_TRANSPORT,
  EchoBodySchema,
  EchoResultSchema,
  SEND_DEFAULTS,
  SendBodySchema,
  SendResultSchema,
} from "./client-schemas.js";
import type { WebApp } from "./web-app.js";

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * POST /api/send and POST /api/echo: the web service as a client of the other ports, reporting
 * the ephemeral port its side of each conversation used.
 */
export function registerClientRoutes(app: WebApp, config: PorthostConfig): void {
  const smtp = config.services.smtp.addr;
  const echo = config.services.echo.addr;

  app.post(
    "/api/send",
    {
      schema: {
        summary: `Send one mail through nodemailer to the SMTP service (${formatAddress(smtp)})`,
        tags: ["clients"],
        body: SendBodySchema,
        response: { 200: SendResultSchema, "4xx": WebErrorSchema, "5xx": WebErrorSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const to = Array.isArray(body.to) ? body.to : [body.to];
      const from = body.from ?? SEND_DEFAULTS.from;
      for (const address of [from, ...to]) {
        const why = portInAddress(address);
        if (why !== undefined) return reply.code(400).send(webErrors.notAMailAddress(address, why));
      }
      try {
        const result = await sendMail(smtp, {
          from,
          to,
          subject: body.subject ?? SEND_DEFAULTS.subject,
          text: body.text ?? SEND_DEFAULTS.text,
          ...(body.html === undefined ? {} : { html: body.html }),
        });
        const id = /queued as (\S+)/.exec(result.response)?.[1];
        return { ...result, ...(id ? { id } : {}) };
      } catch (error) {
        const failure = sendFailure(error, formatAddress(smtp), to);
        return reply.code(failure.statusCode).send(failure);
      }
    },
  );

  app.post(
    "/api/echo",
    {
      schema: {
        summary: `A TCP or UDP round trip to the echo service (${formatAddress(echo)})`,
        tags: ["clients"],
        body: EchoBodySchema,
        response: { 200: EchoResultSchema, "4xx": WebErrorSchema, "5xx": WebErrorSchema },
      },
    },
    async (request, reply) => {
      const { text, transport = DEFAULT_ECHO_TRANSPORT } = request.body;
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
