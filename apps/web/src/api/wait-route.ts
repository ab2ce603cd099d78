import { Type } from "typebox";
import {
  MessageSummarySchema,
  MessageWaiters,
  SearchSyntaxError,
  TooManyWaiters,
  waitQuery,
  type MailStore,
  type SearchQuery,
} from "@porthost/mailstore";
import { WebErrorSchema, webErrors } from "../web-errors.js";
import type { WebApp } from "./web-app.js";

export const DEFAULT_WAIT_SECONDS = 30;
export const MAX_WAIT_SECONDS = 300;

const filter = (description: string) => Type.Optional(Type.String({ minLength: 1, maxLength: 254, description }));

export const WaitQuerySchema = Type.Object(
  {
    to: filter("a recipient: the To: header or the envelope's RCPT TO (Bcc included), a part of it is enough"),
    from: filter("the sender: the From: header or MAIL FROM"),
    subject: filter("text in the subject"),
    q: Type.Optional(
      Type.String({ maxLength: 500, description: "a search, as q of GET /api/messages (bodies, qualifiers)" }),
    ),
    since: Type.Optional(
      Type.String({
        maxLength: 40,
        description:
          "only messages received at or after this time (ISO 8601, or milliseconds since 1970); without it a message already stored counts",
      }),
    ),
    timeout: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_WAIT_SECONDS,
        default: DEFAULT_WAIT_SECONDS,
        description: "seconds to wait before answering 408",
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * GET /api/messages/wait: answers as soon as a matching message is stored, or 408 at the timeout.
 * A message stored before the request counts (as Mailpit clients' waitForMessage finds one),
 * unless `since` says from when.
 */
export function registerWaitRoute(app: WebApp, store: MailStore): void {
  const waiters = new MessageWaiters(store);
  app.addHook("preClose", async () => waiters.close());

  app.get(
    "/api/messages/wait",
    {
      schema: {
        summary:
          "Wait for a message: answers with the newest match as soon as one is stored (one already stored counts unless since= is given), 408 at the timeout",
        tags: ["mail"],
        querystring: WaitQuerySchema,
        response: {
          200: Type.Object(MessageSummarySchema.properties, { description: "the newest matching message" }),
          400: WebErrorSchema,
          408: WebErrorSchema,
          503: WebErrorSchema,
        },
      },
    },
    async (request, reply) => {
      let query: SearchQuery;
      try {
        query = waitQuery(request.query);
      } catch (error) {
        if (error instanceof SearchSyntaxError) return reply.code(400).send(webErrors.badSearch(error.message));
        throw error;
      }
      const seconds = request.query.timeout ?? DEFAULT_WAIT_SECONDS;
      let outcome;
      try {
        outcome = await waiters.wait(query, seconds * 1000, (cancel) => reply.raw.once("close", cancel));
      } catch (error) {
        if (error instanceof TooManyWaiters) {
          return reply.code(503).header("retry-after", "5").send(webErrors.tooManyWaiters(waiters.max));
        }
        throw error;
      }
      if (outcome.kind === "found") return outcome.message;
      if (outcome.kind === "closing") return reply.code(503).send(webErrors.waitEnded());
      return reply.code(408).send(webErrors.waitTimedOut(seconds));
    },
  );
}
