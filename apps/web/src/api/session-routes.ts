import { Type } from "typebox";
import {
  listSessions,
  MAX_SESSION_PAGE,
  readSession,
  SESSION_ID_PATTERN,
  SESSION_OUTCOMES,
  SessionListSchema,
  SessionRecordSchema,
} from "@porthost/mailstore";
import { WebErrorSchema, webErrors } from "../web-errors.js";
import type { WebApp } from "./web-app.js";

const SessionParamsSchema = Type.Object({
  id: Type.String({ pattern: SESSION_ID_PATTERN, description: "the session's id: 16 characters, 0-9 and a-v" }),
});

const SessionQuerySchema = Type.Object(
  {
    service: Type.Optional(
      Type.String({
        pattern: "^[a-z][a-z0-9-]{0,31}$",
        description: "only this port's sessions: smtp, submission, submissions, pop3 or pop3s",
      }),
    ),
    outcome: Type.Optional(Type.Enum(SESSION_OUTCOMES, { type: "string", description: "only sessions that ended so" })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_SESSION_PAGE, default: 50 })),
  },
  { additionalProperties: false },
);

/**
 * Session records, read from `<dataDir>/sessions/` where the SMTP and POP3 services write them
 * (in compose: the mail volume they share with this service). Read on each request: the
 * directory is small (PORTHOST_SESSIONS_MAX files) and a list is filtered by file name first.
 */
export function registerSessionRoutes(app: WebApp, dir: string): void {
  app.get(
    "/api/sessions",
    {
      schema: {
        summary: "SMTP and POP3 sessions on record, newest first, failed ones included; filter by service and outcome",
        tags: ["mail"],
        querystring: SessionQuerySchema,
        response: { 200: SessionListSchema, 400: WebErrorSchema },
      },
    },
    async (request) => listSessions(dir, request.query),
  );

  app.get(
    "/api/sessions/:id",
    {
      schema: {
        summary: "One session's record: both ends, HELO, TLS, AUTH user, outcome, stored messages and the transcript",
        tags: ["mail"],
        params: SessionParamsSchema,
        response: { 200: SessionRecordSchema, 400: WebErrorSchema, 404: WebErrorSchema },
      },
    },
    async (request, reply) => {
      const record = await readSession(dir, request.params.id);
      return record ?? reply.code(404).send(webErrors.noSuchSession(request.params.id));
    },
  );
}
