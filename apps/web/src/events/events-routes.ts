import { timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { EVENTS_PATH, EventBatchSchema, MAX_BATCH_EVENTS } from "@porthost/events";
import type { WebApp } from "../api/web-app.js";
import { WebErrorSchema, webErrors } from "../web-errors.js";
import type { EventHub } from "./event-hub.js";
import {
  EventHistoryQuerySchema,
  EventHistorySchema,
  EventStreamQuerySchema,
  EventStreamSchema,
  EventsAcceptedSchema,
  type NumberedEvent,
} from "./event-schemas.js";

/** A comment line every so often keeps proxies and browsers from closing an idle stream. */
export const SSE_HEARTBEAT_MS = 15_000; // 15 s
/** Largest ingest body: a full batch of events with long details fits well within it. */
const MAX_INGEST_BYTES = 256 * 1024; // 256 KiB

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function startFrom(request: { headers: IncomingHttpHeaders; query: { since?: number } }, lastId: number): number {
  const lastEventId = request.headers["last-event-id"];
  const since =
    typeof lastEventId === "string" && /^\d+$/.test(lastEventId) ? Number(lastEventId) : (request.query.since ?? 0);
  // An id this service never gave out was given by an earlier run of it (ids restart at 1): the
  // reader has seen none of this run's events, so it gets them all rather than none until it catches up.
  return since > lastId ? 0 : since;
}

function sseFrame(event: NumberedEvent): string {
  return `id: ${event.id}\nevent: connection\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * POST /api/events: services report connections (bearer token from PORTHOST_EVENTS_TOKEN).
 * GET /api/events?since=: the kept history as JSON. GET /api/events/stream: the same, then live,
 * as server-sent events (resumes from Last-Event-ID).
 */
export function registerEventRoutes(app: WebApp, hub: EventHub, token: string | undefined): void {
  const streams = new Set<() => void>();
  // Before the server waits for its connections to finish, end the streams that never would.
  app.addHook("preClose", async () => {
    for (const end of streams) end();
  });

  app.post(
    EVENTS_PATH,
    {
      bodyLimit: MAX_INGEST_BYTES,
      schema: {
        summary: `Services report connection events here, at most ${MAX_BATCH_EVENTS} a request, with Authorization: Bearer <PORTHOST_EVENTS_TOKEN>`,
        tags: ["events"],
        body: EventBatchSchema,
        response: { 202: EventsAcceptedSchema, "4xx": WebErrorSchema },
      },
      // Who may report comes before what the report says; a bad batch is answered from the catalogue.
      preValidation: async (request, reply) => {
        if (token === undefined) return reply.code(403).send(webErrors.eventsOff());
        const auth = request.headers.authorization ?? "";
        if (!auth.startsWith("Bearer ") || !sameToken(auth.slice(7), token)) {
          return reply
            .code(401)
            .header("www-authenticate", 'Bearer realm="porthost events"')
            .send(webErrors.badEventsToken());
        }
      },
      attachValidation: true,
    },
    async (request, reply) => {
      if (request.validationError) return reply.code(400).send(webErrors.badEvents(request.validationError.message));
      for (const event of request.body.events) hub.publish(event);
      return reply.code(202).send({ accepted: request.body.events.length });
    },
  );

  app.get(
    EVENTS_PATH,
    {
      schema: {
        summary: "Recent connection events on every port, oldest first (bounded history)",
        tags: ["events"],
        querystring: EventHistoryQuerySchema,
        response: { 200: EventHistorySchema, 400: WebErrorSchema },
      },
    },
    async (request) => ({
      events: hub.since(request.query.since ?? 0, request.query.limit),
      lastId: hub.stats().lastId,
    }),
  );

  app.get(
    `${EVENTS_PATH}/stream`,
    {
      schema: {
        summary: "Connection events as they happen (text/event-stream); resumes after Last-Event-ID or ?since=",
        tags: ["events"],
        querystring: EventStreamQuerySchema,
        response: { 200: EventStreamSchema, 400: WebErrorSchema },
      },
    },
    (request, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      res.write("retry: 2000\n\n");
      for (const event of hub.since(startFrom(request, hub.stats().lastId))) res.write(sseFrame(event));
      let skipped = 0;
      const unsubscribe = hub.subscribe((event) => {
        // A reader that does not keep up loses events rather than growing our memory.
        if (res.writableLength > MAX_INGEST_BYTES) {
          skipped += 1;
          return;
        }
        if (skipped > 0) {
          res.write(`event: dropped\ndata: ${JSON.stringify({ dropped: skipped })}\n\n`);
          skipped = 0;
        }
        res.write(sseFrame(event));
      });
      const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), SSE_HEARTBEAT_MS);
      const stop = (): void => {
        clearInterval(heartbeat);
        unsubscribe();
        streams.delete(end);
      };
      const end = (): void => {
        stop();
        res.end();
      };
      streams.add(end);
      request.raw.on("close", stop);
    },
  );
}
