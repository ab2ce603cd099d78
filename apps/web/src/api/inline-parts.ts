import { Type } from "typebox";
import { MessageSummarySchema, type MailStore } from "@porthost/mailstore";
import { WebErrorSchema, webErrors } from "../web-errors.js";
import { ID_PATTERN } from "./mail-routes.js";
import type { WebApp } from "./web-app.js";

const id = Type.String({ pattern: ID_PATTERN, description: "the message's Maildir unique name" });
const PartParamsSchema = Type.Object({
  id,
  cid: Type.String({ minLength: 1, maxLength: 500, description: "the part's Content-ID, without angle brackets" }),
});
const ReadBodySchema = Type.Object(
  { read: Type.Boolean({ description: "true: mark seen (Maildir flag S); false: unseen" }) },
  { additionalProperties: false },
);

/** Image types a browser shows without running anything (not SVG, which may carry scripts). */
const SAFE_IMAGE = /^image\/(png|jpe?g|gif|webp|avif|bmp|x-icon|vnd\.microsoft\.icon)$/i;

/**
 * GET /api/messages/:id/cid/:cid, the inline parts the preview's `cid:` images load, and
 * PATCH /api/messages/:id, read or unread.
 */
export function registerInlinePartRoutes(app: WebApp, store: MailStore): void {
  app.get(
    "/api/messages/:id/cid/:cid",
    {
      schema: {
        summary:
          "An inline part by its Content-ID (what cid: URLs in the HTML name): images with their type, others as a download",
        tags: ["mail"],
        params: PartParamsSchema,
        response: {
          200: {
            description: "the part's bytes",
            content: { "image/*": { schema: Type.Unsafe<Buffer>({ type: "string", format: "binary" }) } },
          },
          400: WebErrorSchema,
          404: WebErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const { id: messageId, cid } = request.params;
      const part = await store.partByContentId(messageId, cid);
      if (!part) {
        const known = await store.summary(messageId);
        return reply.code(404).send(known ? webErrors.noSuchPart(messageId, cid) : webErrors.noSuchMessage(messageId));
      }
      const image = SAFE_IMAGE.test(part.info.contentType);
      return reply
        .type(image ? part.info.contentType : "application/octet-stream")
        .header("content-disposition", image ? "inline" : "attachment")
        .header("x-content-type-options", "nosniff")
        .header("content-security-policy", "sandbox; default-src 'none'")
        .header("cache-control", "private, max-age=3600")
        .send(part.content);
    },
  );

  app.patch(
    "/api/messages/:id",
    {
      schema: {
        summary: "Mark a message read or unread: the Maildir's S flag in cur/ (mutt and Dovecot see it too)",
        tags: ["mail"],
        params: Type.Object({ id }),
        body: ReadBodySchema,
        response: {
          200: Type.Object(MessageSummarySchema.properties, { description: "the message, its flags updated" }),
          400: WebErrorSchema,
          404: WebErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const { id: messageId } = request.params;
      if (!(await store.setSeen(messageId, request.body.read))) {
        return reply.code(404).send(webErrors.noSuchMessage(messageId));
      }
      return (await store.summary(messageId)) ?? reply.code(404).send(webErrors.noSuchMessage(messageId));
    },
  );
}
