import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { sendMail } from "@porthost/clients";
import {
  SearchSyntaxError,
  blindRecipients,
  splitAddresses,
  type MailStore,
  type MessageSummary,
  type ParsedMessage,
} from "@porthost/mailstore";
import { formatAddress, type PorthostConfig } from "@porthost/ports";
import { Type } from "typebox";
import type { FastifyReply } from "fastify";
import { sendMailHtml } from "./cid-links.js";
import {
  MailpitAppInformationSchema,
  MailpitDeleteSchema,
  MailpitHeadersSchema,
  MailpitListQuerySchema,
  MailpitMessageSchema,
  MailpitMessagesSummarySchema,
  MailpitReadStatusSchema,
  MailpitSearchQuerySchema,
  MailpitSendRequestSchema,
  MailpitSendResponseSchema,
  MailpitTextSchema,
  type MailpitAddress,
  type MailpitMessage,
  type MailpitMessageSummary,
  type MailpitMessagesSummary,
  type MailpitSendRequest,
} from "./mailpit-schemas.js";
import { sendFailure } from "./send-failure.js";
import type { WebApp } from "./web-app.js";

const VERSION = "porthost-0.1.0";
const TAGS = ["mailpit"];
/** Messages marked or deleted per batch when a request names every message. */
const BATCH = 64;

const IdParamsSchema = Type.Object({
  ID: Type.String({ minLength: 1, maxLength: 255, description: 'Message database ID or "latest"' }),
});
const PartParamsSchema = Type.Object({
  ID: IdParamsSchema.properties.ID,
  PartID: Type.String({ pattern: "^\\d{1,5}$", description: "Attachment part ID" }),
});
const ViewParamsSchema = Type.Object({
  file: Type.String({
    pattern: "^[A-Za-z0-9][A-Za-z0-9._,=-]{0,254}\\.(html|txt)$",
    description: "{ID}.html or {ID}.txt",
  }),
});

/** `Name <addr>` or `addr` as Mailpit's Address. */
export function mailpitAddress(value: string): MailpitAddress {
  const angle = /^\s*(.*?)\s*<([^<>]*)>\s*$/.exec(value);
  if (!angle) return { Name: "", Address: value.trim() };
  return { Name: (angle[1] ?? "").replace(/^"(.*)"$/, "$1").trim(), Address: (angle[2] ?? "").trim() };
}

const addresses = (values: readonly string[]): MailpitAddress[] => values.map(mailpitAddress);
const bareMessageId = (value: string | null): string => (value ?? "").trim().replace(/^<(.*)>$/, "$1");

/** Go's canonical header key, as Mailpit's maps have them: message-id -> Message-Id. */
const canonicalKey = (name: string): string =>
  name
    .split("-")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1).toLowerCase())
    .join("-");

function headerValues(message: ParsedMessage, name: string): string[] {
  return message.headers.filter((h) => h.name.toLowerCase() === name).map((h) => h.value);
}

function text(reply: FastifyReply, code: number, body: string): FastifyReply {
  return reply.code(code).type("text/plain; charset=utf-8").send(body);
}

/**
 * Mailpit's REST API v1 (https://mailpit.axllent.org/docs/api-v1/) over porthost's Maildir, for
 * the test suites written against Mailpit: info, list, search, one message (and `latest`),
 * headers, raw source, parts, read status, delete, send, and the /view renders.
 */
export function registerMailpitRoutes(app: WebApp, store: MailStore, config: PorthostConfig): void {
  const smtp = config.services.smtp.addr;

  async function summaryOf(summary: MessageSummary): Promise<MailpitMessageSummary> {
    const body = await store.bodySummary(summary.id);
    return {
      ID: summary.id,
      MessageID: bareMessageId(summary.messageId),
      Read: summary.flags.includes("S"),
      From: mailpitAddress(summary.from),
      To: addresses(summary.to),
      Cc: addresses(summary.cc),
      Bcc: addresses(blindRecipients(summary)),
      ReplyTo: [],
      Subject: summary.subject,
      Created: summary.receivedAt,
      Username: summary.envelope?.authUser ?? "",
      Tags: [],
      Size: summary.size,
      Attachments: body?.attachments ?? 0,
      Snippet: body?.snippet ?? "",
    };
  }

  async function page(query: string, start: number, limit: number): Promise<MailpitMessagesSummary> {
    const found = await store.list({ query, start, limit });
    const [total, unread] =
      query.trim() === "" ? [found.total, found.unread] : [await store.count(), await store.unreadCount()];
    const messages: MailpitMessageSummary[] = [];
    for (const summary of found.messages) messages.push(await summaryOf(summary));
    return {
      total,
      unread,
      messages_count: found.total,
      messages_unread: found.unread,
      start,
      tags: [],
      messages,
    };
  }

  /** The id a path names: `latest` is the newest message. */
  async function resolveId(id: string): Promise<string | undefined> {
    if (id !== "latest") return id;
    return (await store.list({ limit: 1 })).messages[0]?.id;
  }

  /** Every id a search matches (all messages for ""). */
  async function matchingIds(query: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const found = await store.list({ query, limit: 500, ...(cursor === undefined ? {} : { cursor }) });
      ids.push(...found.messages.map((m) => m.id));
      if (found.nextCursor === null) return ids;
      cursor = found.nextCursor;
    }
  }

  async function eachBatch(ids: readonly string[], act: (id: string) => Promise<unknown>): Promise<void> {
    for (let i = 0; i < ids.length; i += BATCH) await Promise.all(ids.slice(i, i + BATCH).map(act));
  }

  async function fullMessage(message: ParsedMessage): Promise<MailpitMessage> {
    const summary = message.summary;
    const parts = await Promise.all(
      message.attachments.map(async (info) => {
        const content = (await store.attachment(summary.id, info.index))?.content ?? Buffer.alloc(0);
        const hash = (algorithm: string): string => createHash(algorithm).update(content).digest("hex");
        return {
          inline: info.disposition === "inline" && info.contentId !== null,
          part: {
            PartID: String(info.index),
            FileName: info.filename ?? "",
            ContentType: info.contentType,
            ContentID: info.contentId ?? "",
            Size: info.size,
            Checksums: { MD5: info.checksum, SHA1: hash("sha1"), SHA256: hash("sha256") },
          },
        };
      }),
    );
    const date = Date.parse(summary.date ?? "");
    const unsubscribe = headerValues(message, "list-unsubscribe")[0] ?? "";
    return {
      ID: summary.id,
      MessageID: bareMessageId(summary.messageId),
      From: mailpitAddress(summary.from),
      To: addresses(summary.to),
      Cc: addresses(summary.cc),
      Bcc: addresses(blindRecipients(summary)),
      ReplyTo: headerValues(message, "reply-to").flatMap(splitAddresses).map(mailpitAddress),
      ReturnPath: (headerValues(message, "return-path")[0] ?? summary.envelope?.mailFrom ?? "").replace(
        /^<(.*)>$/,
        "$1",
      ),
      Subject: summary.subject,
      ListUnsubscribe: {
        Header: unsubscribe,
        Links: [...unsubscribe.matchAll(/<([^>]+)>/g)].map((m) => m[1] as string),
        Errors: "",
        HeaderPost: headerValues(message, "list-unsubscribe-post")[0] ?? "",
      },
      Date: Number.isNaN(date) ? summary.receivedAt : new Date(date).toISOString(),
      Tags: [],
      Username: summary.envelope?.authUser ?? "",
      Text: message.text ?? "",
      HTML: message.html ?? "",
      Size: summary.size,
      Inline: parts.filter((p) => p.inline).map((p) => p.part),
      Attachments: parts.filter((p) => !p.inline).map((p) => p.part),
    };
  }

  const errors = { 400: MailpitTextSchema, 404: MailpitTextSchema };
  const notFound = (reply: FastifyReply, id: string) => text(reply, 404, `message ${id} not found`);
  const badSearch = (reply: FastifyReply, error: unknown) => {
    if (error instanceof SearchSyntaxError) return text(reply, 400, error.message);
    throw error;
  };

  app.get(
    "/api/v1/info",
    {
      schema: {
        tags: TAGS,
        summary: "Mailpit: application information",
        response: { 200: MailpitAppInformationSchema },
      },
    },
    async () => {
      const all = await store.all();
      return {
        Version: VERSION,
        LatestVersion: "",
        Database: store.root,
        DatabaseSize: all.reduce((sum, m) => sum + m.size, 0),
        Messages: all.length,
        Unread: all.filter((m) => !m.flags.includes("S")).length,
        Tags: {},
        RuntimeStats: {
          Memory: process.memoryUsage.rss(),
          MessagesDeleted: 0,
          SMTPAccepted: 0,
          SMTPAcceptedSize: 0,
          SMTPIgnored: 0,
          SMTPRejected: 0,
          Uptime: Math.round(process.uptime()),
        },
      };
    },
  );

  app.get(
    "/api/v1/messages",
    {
      schema: {
        tags: TAGS,
        summary: "Mailpit: list messages, newest first",
        querystring: MailpitListQuerySchema,
        response: { 200: MailpitMessagesSummarySchema, 400: MailpitTextSchema },
      },
    },
    async (request) => page("", request.query.start ?? 0, request.query.limit ?? 50),
  );

  app.get(
    "/api/v1/search",
    {
      schema: {
        tags: TAGS,
        summary: "Mailpit: search messages (Mailpit's search filters), newest first",
        querystring: MailpitSearchQuerySchema,
        response: { 200: MailpitMessagesSummarySchema, 400: MailpitTextSchema },
      },
    },
    async (request, reply) => {
      try {
        return await page(request.query.query, request.query.start ?? 0, request.query.limit ?? 50);
      } catch (error) {
        return badSearch(reply, error);
      }
    },
  );

  app.delete(
    "/api/v1/search",
    {
      schema: {
        tags: TAGS,
        summary: "Mailpit: delete the messages a search matches",
        querystring: MailpitSearchQuerySchema,
        response: { 200: MailpitTextSchema, 400: MailpitTextSchema },
      },
    },
    async (request, reply) => {
      try {
        if (request.query.query.trim() === "") return text(reply, 400, "no search query");
        await eachBatch(await matchingIds(request.query.query), (id) => store.delete(id));
        return text(reply, 200, "ok");
      } catch (error) {
        return badSearch(reply, error);
      }
    },
  );

  app.put(
    "/api/v1/messages",
    {
      schema: {
        tags: TAGS,
        summary: "Mailpit: set the read status of the IDs, of a search's matches, or of every message",
        body: MailpitReadStatusSchema,
        response: { 200: MailpitTextSchema, 400: MailpitTextSchema },
      },
    },
    async (request, reply) => {
      const { IDs, Read = false, Search } = request.body;
      try {
        const ids = IDs !== undefined && IDs.length > 0 ? IDs : await matchingIds(Search ?? "");
        await eachBatch(ids, (id) => store.setSeen(id, Read));
        return text(reply, 200, "ok");
      } catch (error) {
        return badSearch(reply, error);
      }
    },
  );

  app.delete(
    "/api/v1/messages",
    {
      schema: {
        tags: TAGS,
        summary: "Mailpit: delete the IDs, or every message when none are given",
        body: MailpitDeleteSchema,
        response: { 200: MailpitTextSchema, 400: MailpitTextSchema },
      },
      // mailpit-api's deleteMessages() sends no body at all: that means every message.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const ids = request.body.IDs ?? [];
      if (ids.length === 0) await store.deleteAll();
      else await eachBatch(ids, (id) => store.delete(id));
      return text(reply, 200, "ok");
    },
  );

  app.get(
    "/api/v1/message/:ID",
    {
      schema: {
        tags: TAGS,
        summary: "Mailpit: one message's summary (ID latest: the newest); marks it read",
        params: IdParamsSchema,
        response: { 200: MailpitMessageSchema, ...errors },
      },
    },
    async (request, reply) => {
      const id = await resolveId(request.params.ID);
      const message = id === undefined ? undefined : await store.get(id);
      if (!message) return notFound(reply, request.params.ID);
      await store.setSeen(message.summary.id, true);
      return fullMessage(message);
    },
  );

  app.get(
    "/api/v1/message/:ID/headers",
    {
      schema: {
        tags: TAGS,
        summary: "Mailpit: one message's headers, keys alphabetical",
        params: IdParamsSchema,
        response: { 200: MailpitHeadersSchema, ...errors },
      },
    },
    async (request, reply) => {
      const id = await resolveId(request.params.ID);
      const message = id === undefined ? undefined : await store.get(id);
      if (!message) return notFound(reply, request.params.ID);
      const headers: Record<string, string[]> = {};
      for (const { name, value } of message.headers) (headers[canonicalKey(name)] ??= []).push(value);
      return Object.fromEntries(Object.entries(headers).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    },
  );

  app.get(
    "/api/v1/message/:ID/raw",
    {
      schema: {
        tags: TAGS,
        summary: "Mailpit: one message's source",
        params: IdParamsSchema,
        response: {
          200: {
            description: "the message as stored",
            content: { "text/plain": { schema: Type.Unsafe<Readable>({ type: "string" }) } },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const id = await resolveId(request.params.ID);
      const raw = id === undefined ? undefined : await store.openRaw(id);
      if (!raw) return notFound(reply, request.params.ID);
      return reply
        .type("text/plain; charset=utf-8")
        .header("content-length", String(raw.size))
        .header("x-content-type-options", "nosniff")
        .send(raw.stream);
    },
  );

  app.get(
    "/api/v1/message/:ID/part/:PartID",
    {
      schema: {
        tags: TAGS,
        summary: "Mailpit: an attachment or inline part, with its own content type, as a download",
        params: PartParamsSchema,
        response: {
          200: {
            description: "the part's bytes",
            content: {
              "application/octet-stream": { schema: Type.Unsafe<Buffer>({ type: "string", format: "binary" }) },
            },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const id = await resolveId(request.params.ID);
      const part = id === undefined ? undefined : await store.attachment(id, Number(request.params.PartID));
      if (!part) return text(reply, 404, `part ${request.params.PartID} of message ${request.params.ID} not found`);
      const filename = (part.info.filename ?? `part-${request.params.PartID}`).replace(/[^\w.\- ]/g, "_");
      // Parts come from strangers: downloaded, never rendered on this origin.
      return reply
        .type(part.info.contentType)
        .header("content-disposition", `attachment; filename="${filename}"`)
        .header("x-content-type-options", "nosniff")
        .header("content-security-policy", "sandbox")
        .send(part.content);
    },
  );

  app.post(
    "/api/v1/send",
    {
      schema: {
        tags: TAGS,
        summary: `Mailpit: send a message (through porthost's own SMTP service, ${formatAddress(smtp)})`,
        body: MailpitSendRequestSchema,
        response: { 200: MailpitSendResponseSchema, 400: MailpitTextSchema, "5xx": MailpitTextSchema },
      },
    },
    async (request, reply) => {
      const mail: MailpitSendRequest = request.body;
      const named = (a: { Email: string; Name?: string | undefined }): string =>
        a.Name ? `"${a.Name.replace(/["\\]/g, "")}" <${a.Email}>` : a.Email;
      const to = (mail.To ?? []).map(named);
      if (to.length === 0 && (mail.Cc ?? []).length === 0 && (mail.Bcc ?? []).length === 0) {
        return text(reply, 400, "no recipients: give To, Cc or Bcc");
      }
      try {
        const result = await sendMail(smtp, {
          from: named(mail.From),
          to,
          subject: mail.Subject ?? "",
          text: mail.Text ?? "",
          ...(mail.HTML === undefined ? {} : { html: mail.HTML }),
          ...(mail.Cc === undefined ? {} : { cc: mail.Cc.map(named) }),
          ...(mail.Bcc === undefined ? {} : { bcc: mail.Bcc }),
          ...(mail.ReplyTo === undefined ? {} : { replyTo: mail.ReplyTo.map(named) }),
          ...(mail.Headers === undefined ? {} : { headers: mail.Headers }),
          attachments: (mail.Attachments ?? []).map((a) => ({
            filename: a.Filename,
            content: Buffer.from(a.Content, "base64"),
            ...(a.ContentType ? { contentType: a.ContentType } : {}),
            ...(a.ContentID ? { cid: a.ContentID } : {}),
          })),
        });
        const id = /queued as (\S+)/.exec(result.response)?.[1] ?? "";
        return { ID: id };
      } catch (error) {
        const failure = sendFailure(error, formatAddress(smtp), to);
        return text(reply, failure.statusCode, failure.message);
      }
    },
  );

  app.get(
    "/view/:file",
    {
      schema: {
        tags: TAGS,
        summary: "Mailpit: a message's HTML ({ID}.html, sandboxed like /api/messages/:id/html) or text ({ID}.txt)",
        params: ViewParamsSchema,
        response: {
          200: {
            description: "the part",
            content: { "text/html": { schema: MailpitTextSchema }, "text/plain": { schema: MailpitTextSchema } },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const dot = request.params.file.lastIndexOf(".");
      const requested = request.params.file.slice(0, dot);
      const id = await resolveId(requested);
      const message = id === undefined ? undefined : await store.get(id);
      if (!message) return notFound(reply, requested);
      if (request.params.file.endsWith(".txt")) return text(reply, 200, message.text ?? "");
      if (message.html === null) return text(reply, 404, `message ${requested} has no HTML part`);
      return sendMailHtml(reply, message.html, message.summary.id, request);
    },
  );
}
