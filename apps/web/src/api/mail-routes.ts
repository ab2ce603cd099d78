import type { FastifyInstance } from "fastify";
import { MAX_PAGE_SIZE, type MailStore } from "@porthost/mailstore";
import { webErrorSchema, webErrors } from "../web-errors.js";

const ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._,=\\\\-]{0,254}$";

const idParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", pattern: ID_PATTERN, description: "the message's Maildir unique name" } },
} as const;

/** An untrusted HTML part may only be looked at: no scripts, forms, plugins or remote loads. */
export const MAIL_HTML_CSP =
  "sandbox; default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; font-src data:; form-action 'none'; base-uri 'none'";

const envelopeSchema = {
  type: ["object", "null"],
  description: "the SMTP envelope: MAIL FROM, RCPT TO and the ports that carried the message",
  additionalProperties: true,
} as const;

const summarySchema = {
  type: "object",
  additionalProperties: true,
  properties: {
    id: { type: "string" },
    from: { type: "string" },
    to: { type: "array", items: { type: "string" } },
    cc: { type: "array", items: { type: "string" } },
    subject: { type: "string" },
    date: { type: ["string", "null"] },
    messageId: { type: ["string", "null"] },
    receivedAt: { type: "string" },
    size: { type: "integer" },
    flags: { type: "string" },
    envelope: envelopeSchema,
  },
} as const;

/**
 * The mail API over the shared Maildir (the SMTP service writes it; this service only reads
 * and deletes): list, one message parsed, its raw bytes, its HTML in a sandbox, attachments.
 */
export function registerMailRoutes(app: FastifyInstance, store: MailStore): void {
  app.get<{ Querystring: { q?: string; limit?: number; cursor?: string } }>(
    "/api/messages",
    {
      schema: {
        summary: "Stored mail, newest first; q filters on From, To, Cc and Subject; pages with cursor",
        tags: ["mail"],
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            q: { type: "string", maxLength: 200 },
            limit: { type: "integer", minimum: 1, maximum: MAX_PAGE_SIZE, default: 50 },
            cursor: { type: "string", pattern: ID_PATTERN, description: "nextCursor of the previous page" },
          },
        },
        response: {
          200: {
            type: "object",
            properties: {
              messages: { type: "array", items: summarySchema },
              total: { type: "integer" },
              nextCursor: { type: ["string", "null"] },
            },
          },
        },
      },
    },
    async (request) => {
      const { q, limit, cursor } = request.query;
      return store.list({
        ...(q === undefined ? {} : { query: q }),
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
      });
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/messages/:id",
    {
      schema: {
        summary: "One message parsed: headers, text, HTML (untrusted), attachment list and SMTP envelope",
        tags: ["mail"],
        params: idParams,
        response: {
          200: {
            type: "object",
            properties: {
              summary: summarySchema,
              headers: {
                type: "array",
                items: { type: "object", properties: { name: { type: "string" }, value: { type: "string" } } },
              },
              text: { type: ["string", "null"] },
              html: { type: ["string", "null"], description: "as sent: show it only in a sandbox (see /html)" },
              attachments: { type: "array", items: { type: "object", additionalProperties: true } },
            },
          },
          404: webErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const message = await store.get(request.params.id);
      return message ?? reply.code(404).send(webErrors.noSuchMessage(request.params.id));
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/messages/:id/raw",
    {
      schema: {
        summary: "The message exactly as stored, with porthost's Received: header",
        tags: ["mail"],
        params: idParams,
      },
    },
    async (request, reply) => {
      const raw = await store.openRaw(request.params.id);
      if (!raw) return reply.code(404).send(webErrors.noSuchMessage(request.params.id));
      return reply
        .type("text/plain; charset=utf-8")
        .header("content-length", String(raw.size))
        .header("content-disposition", `inline; filename="${request.params.id}.eml"`)
        .header("x-content-type-options", "nosniff")
        .send(raw.stream);
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/messages/:id/html",
    {
      schema: {
        summary: "The HTML part alone, under a sandboxing Content-Security-Policy (no scripts, no remote content)",
        tags: ["mail"],
        params: idParams,
      },
    },
    async (request, reply) => {
      const message = await store.get(request.params.id);
      if (!message) return reply.code(404).send(webErrors.noSuchMessage(request.params.id));
      if (message.html === null) return reply.code(404).send(webErrors.noHtmlPart(request.params.id));
      return reply
        .type("text/html; charset=utf-8")
        .header("content-security-policy", MAIL_HTML_CSP)
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer")
        .send(message.html);
    },
  );

  app.get<{ Params: { id: string; n: number } }>(
    "/api/messages/:id/attachments/:n",
    {
      schema: {
        summary: "The bytes of attachment n, always as a download",
        tags: ["mail"],
        params: {
          type: "object",
          required: ["id", "n"],
          properties: { id: idParams.properties.id, n: { type: "integer", minimum: 0, maximum: 10_000 } },
        },
      },
    },
    async (request, reply) => {
      const { id, n } = request.params;
      const found = await store.attachment(id, n);
      if (!found) {
        return reply
          .code(404)
          .send((await store.summary(id)) ? webErrors.noSuchAttachment(id, n) : webErrors.noSuchMessage(id));
      }
      const filename = (found.info.filename ?? `attachment-${n}`).replace(/[^\w.\- ]/g, "_");
      // Attachments come from strangers: never rendered on this origin, always downloaded.
      return reply
        .type(found.info.contentType)
        .header(
          "content-disposition",
          `attachment; filename="${filename}"; filename*=UTF-8''${encodeURIComponent(found.info.filename ?? filename)}`,
        )
        .header("x-content-type-options", "nosniff")
        .header("content-security-policy", "sandbox")
        .send(found.content);
    },
  );

  app.delete<{ Params: { id: string } }>(
    "/api/messages/:id",
    { schema: { summary: "Delete one message", tags: ["mail"], params: idParams, response: { 404: webErrorSchema } } },
    async (request, reply) => {
      if (!(await store.delete(request.params.id)))
        return reply.code(404).send(webErrors.noSuchMessage(request.params.id));
      return reply.code(204).send();
    },
  );

  app.delete(
    "/api/messages",
    {
      schema: {
        summary: "Delete every message",
        tags: ["mail"],
        response: { 200: { type: "object", properties: { deleted: { type: "integer" } } } },
      },
    },
    async () => ({ deleted: await store.deleteAll() }),
  );
}
