import { timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { EVENTS_PATH, EventBatchSchema, MAX_BATCH_EVENTS } from "@porthost/events";
import type { WebApp } from "../api/web-app.js";
import { WebErrorSchema, webErrors } from "../web-errors.js";
import type { EventHub } from "./event-hub.js";
import { mailFrame } from "./mail-changes.js";
import { registerRestartRoute, restartFrame } from "./restart-route.js";
import {
  EventHistoryQuerySchema,
  EventHistorySchema,
  EventStreamQuerySchema,
  EventStreamSchema,
  EventsAcceptedSchema,
  type NumberedEvent,
} from "./event-schemas.js";

/** Largest ingest body: a full batch of events with long details fits well within it. */
const MAX_INGEST_BYTES = 256 * 1024; // 256 KiB
/** Past this much written to a stream and not yet taken by its reader, events are skipped (and counted). */
export const STREAM_BUFFER_BYTES = 64 * 1024; // 64 KiB

/** The event streams' budget (PORTHOST_HTTP_MAX_STREAMS and PORTHOST_HTTP_STREAM_*). */
export interface StreamLimits {
  readonly maxStreams: number;
  /** A comment line this often keeps proxies from closing a quiet stream and shows a dead peer. */
  readonly streamHeartbeatMs: number;
  /** A stream with no event for this long is ended; EventSource reconnects by itself. */
  readonly streamIdleMs: number;
  /** A stream is ended after this long; EventSource reconnects by itself with Last-Event-ID. */
  readonly streamLifetimeMs: number;
}

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
export function registerEventRoutes(app: WebApp, hub: EventHub, token: string | undefined, limits: StreamLimits): void {
  const streams = new Set<() => void>();
  // Before the server waits for its connections to finish, end the streams that never would.
  app.addHook("preClose", async () => {
    for (const end of streams) end();
  });

  registerRestartRoute(app, hub.restarts);
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
        response: { 200: EventStreamSchema, 400: WebErrorSchema, 503: WebErrorSchema },
      },
    },
    (request, reply) => {
      if (streams.size >= limits.maxStreams) {
        void reply.code(503).header("retry-after", "10").send(webErrors.tooManyStreams(limits.maxStreams));
        return;
      }
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      // Bytes handed to the response: less what still waits in it, they are what its reader has taken.
      let queued = 0;
      const put = (text: string): void => {
        queued += Buffer.byteLength(text);
        res.write(text);
      };
      const taken = (): number => queued - res.writableLength;
      put("retry: 2000\n\n");
      // A reader that does not keep up loses events (told how many later) rather than growing our memory.
      let skipped = 0;
      const send = (event: NumberedEvent): void => {
        if (res.writableLength > STREAM_BUFFER_BYTES) {
          skipped += 1;
          return;
        }
        if (skipped > 0) {
          put(`event: dropped\ndata: ${JSON.stringify({ dropped: skipped })}\n\n`);
          skipped = 0;
        }
        put(sseFrame(event));
      };
      for (const event of hub.since(startFrom(request, hub.stats().lastId))) send(event);
      const idle = setTimeout(() => end(), limits.streamIdleMs);
      const unsubscribe = hub.subscribe((event) => {
        idle.refresh();
        send(event);
      });
      const unsubscribeRestarts = hub.restarts.subscribe((restart) => put(restartFrame(restart)));
      const unsubscribeMail = hub.mail.subscribe((change) => put(mailFrame(change)));
      const lifetime = setTimeout(() => end(), limits.streamLifetimeMs);
      let takenAtBeat = taken();
      const heartbeat = setInterval(() => {
        // More than the buffer waited a whole beat and the reader took none of it: it is not reading.
        if (res.writableLength > STREAM_BUFFER_BYTES && taken() === takenAtBeat) return void res.destroy();
        takenAtBeat = taken();
        if (res.writableLength === 0) put(": keep-alive\n\n");
      }, limits.streamHeartbeatMs);
      const stop = (): void => {
        clearInterval(heartbeat);
        clearTimeout(idle);
        clearTimeout(lifetime);
        unsubscribe();
        unsubscribeRestarts();
        unsubscribeMail();
        streams.delete(end);
      };
      const end = (): void => {
        stop();
        res.end();
      };
      streams.add(end);
      res.on("close", stop);
    },
  );
}
