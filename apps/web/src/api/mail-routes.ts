import type { Readable } from "node:stream";
import { Type } from "typebox";
import {
  MAX_PAGE_SIZE,
  MessagePageSchema,
  ParsedMessageSchema,
  SearchSyntaxError,
  type MailStore,
} from "@porthost/mailstore";
import { WebErrorSchema, webErrors } from "../web-errors.js";
import { sendMailHtml } from "./cid-links.js";
import type { WebApp } from "./web-app.js";

export const ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._,=\\\\-]{0,254}$";

const id = Type.String({ pattern: ID_PATTERN, description: "the message's Maildir unique name" });
const IdParamsSchema = Type.Object({ id });
const AttachmentParamsSchema = Type.Object({ id, n: Type.Integer({ minimum: 0, maximum: 10_000 }) });

const ListQuerySchema = Type.Object(
  {
    q: Type.Optional(
      Type.String({
        maxLength: 500,
        description:
          'a search, Mailpit\'s syntax: words and "phrases" in the headers, envelope (Bcc too) and bodies; to: from: cc: bcc: subject: message-id: has:attachment is:read is:unread after: before:; -term excludes',
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 50 })),
    cursor: Type.Optional(Type.String({ pattern: ID_PATTERN, description: "nextCursor of the previous page" })),
  },
  { additionalProperties: false },
);

const RawQuerySchema = Type.Object(
  {
    download: Type.Optional(
      Type.Enum(["1", "true", "0", "false"], { type: "string", description: "1: as a .eml file to save" }),
    ),
  },
  { additionalProperties: false },
);

/** A reply that is not JSON: the bytes, of the media type the route names, sent as a stream or a buffer. */
const bytes = (mediaType: string, description: string) => ({
  description,
  content: { [mediaType]: { schema: Type.Unsafe<Readable | Buffer>({ type: "string", format: "binary" }) } },
});

/** The replies of a route that names a message: a bad id (400) or none by that id (404). */
const noSuchMessage = { 400: WebErrorSchema, 404: WebErrorSchema };

export { MAIL_HTML_CSP } from "./cid-links.js";

/**
 * The mail API over the shared Maildir (the SMTP service writes it; this service only reads
 * and deletes): list, one message parsed, its raw bytes, its HTML in a sandbox, attachments.
 */
export function registerMailRoutes(app: WebApp, store: MailStore): void {
  app.get(
    "/api/messages",
    {
      schema: {
        summary: "Stored mail, newest first; q searches the headers, the envelope and the bodies; pages with cursor",
        tags: ["mail"],
        querystring: ListQuerySchema,
        response: { 200: MessagePageSchema, 400: WebErrorSchema },
      },
    },
    async (request, reply) => {
      const { q, limit, cursor } = request.query;
      try {
        return await store.list({
          ...(q === undefined ? {} : { query: q }),
          ...(limit === undefined ? {} : { limit }),
          ...(cursor === undefined ? {} : { cursor }),
        });
      } catch (error) {
        if (error instanceof SearchSyntaxError) return reply.code(400).send(webErrors.badSearch(error.message));
        throw error;
      }
    },
  );

  app.get(
    "/api/messages/:id",
    {
      schema: {
        summary: "One message parsed: headers, text, HTML (untrusted), attachment list and SMTP envelope",
        tags: ["mail"],
        params: IdParamsSchema,
        response: { 200: ParsedMessageSchema, ...noSuchMessage },
      },
    },
    async (request, reply) => {
      const message = await store.get(request.params.id);
      return message ?? reply.code(404).send(webErrors.noSuchMessage(request.params.id));
    },
  );

  app.get(
    "/api/messages/:id/raw",
    {
      schema: {
        summary: "The message exactly as stored, with porthost's Received: header; ?download=1 saves it as <id>.eml",
        tags: ["mail"],
        params: IdParamsSchema,
        querystring: RawQuerySchema,
        response: { 200: bytes("text/plain", "the message file, byte for byte"), ...noSuchMessage },
      },
    },
    async (request, reply) => {
      const raw = await store.openRaw(request.params.id);
      if (!raw) return reply.code(404).send(webErrors.noSuchMessage(request.params.id));
      const download = request.query.download === "1" || request.query.download === "true";
      return reply
        .type(download ? "message/rfc822" : "text/plain; charset=utf-8")
        .header("content-length", String(raw.size))
        .header("content-disposition", `${download ? "attachment" : "inline"}; filename="${request.params.id}.eml"`)
        .header("x-content-type-options", "nosniff")
        .send(raw.stream);
    },
  );

  app.get(
    "/api/messages/:id/html",
    {
      schema: {
        summary: "The HTML part alone, under a sandboxing Content-Security-Policy (no scripts, no remote content)",
        tags: ["mail"],
        params: IdParamsSchema,
        response: {
          200: { description: "the HTML part", content: { "text/html": { schema: Type.String() } } },
          ...noSuchMessage,
        },
      },
    },
    async (request, reply) => {
      const message = await store.get(request.params.id);
      if (!message) return reply.code(404).send(webErrors.noSuchMessage(request.params.id));
      if (message.html === null) return reply.code(404).send(webErrors.noHtmlPart(request.params.id));
      return sendMailHtml(reply, message.html, request.params.id, request);
    },
  );

  app.get(
    "/api/messages/:id/attachments/:n",
    {
      schema: {
        summary: "The bytes of attachment n, always as a download",
        tags: ["mail"],
        params: AttachmentParamsSchema,
        response: {
          200: bytes("application/octet-stream", "the attachment's bytes, with its own Content-Type"),
          ...noSuchMessage,
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

  app.delete(
    "/api/messages/:id",
    {
      schema: {
        summary: "Delete one message",
        tags: ["mail"],
        params: IdParamsSchema,
        response: { 204: Type.Null({ description: "deleted" }), ...noSuchMessage },
      },
    },
    async (request, reply) => {
      if (!(await store.delete(request.params.id)))
        return reply.code(404).send(webErrors.noSuchMessage(request.params.id));
      return reply.code(204).send(null);
    },
  );

  app.delete(
    "/api/messages",
    {
      schema: {
        summary: "Delete every message",
        tags: ["mail"],
        response: {
          200: Type.Object(
            { deleted: Type.Integer({ minimum: 0, description: "how many were deleted" }) },
            { description: "the Maildir is empty" },
          ),
        },
      },
    },
    async () => ({ deleted: await store.deleteAll() }),
  );
}
