import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { EVENTS_PATH, MAX_BATCH_EVENTS, OUTCOMES, validateEventBatch } from "@porthost/events";
import { webErrorSchema, webErrors } from "../web-errors.js";
import type { EventHub, NumberedEvent } from "./event-hub.js";

/** A comment line every so often keeps proxies and browsers from closing an idle stream. */
export const SSE_HEARTBEAT_MS = 15_000; // 15 s
/** Largest ingest body: a full batch of events with long details fits well within it. */
const MAX_INGEST_BYTES = 256 * 1024; // 256 KiB

const eventSchema = {
  type: "object",
  required: [
    "id",
    "time",
    "service",
    "transport",
    "localPort",
    "remoteAddress",
    "remotePort",
    "bytesIn",
    "bytesOut",
    "durationMs",
    "outcome",
  ],
  properties: {
    id: { type: "integer", description: "arrival number; pass the last one you saw as ?since=" },
    time: { type: "string" },
    service: { type: "string" },
    transport: { type: "string", enum: ["tcp", "udp"] },
    localPort: { type: "integer", description: "the server's port: the number that chose the service" },
    remoteAddress: { type: "string" },
    remotePort: { type: "integer", description: "the client's (usually ephemeral) port" },
    bytesIn: { type: "integer" },
    bytesOut: { type: "integer" },
    durationMs: { type: "number" },
    outcome: { type: "string", enum: [...OUTCOMES] },
    detail: { type: "string" },
  },
} as const;

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function startFrom(request: FastifyRequest<{ Querystring: { since?: number } }>, lastId: number): number {
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
export function registerEventRoutes(app: FastifyInstance, hub: EventHub, token: string | undefined): void {
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
        response: {
          202: { type: "object", properties: { accepted: { type: "integer" } } },
          "4xx": webErrorSchema,
        },
      },
    },
    async (request, reply) => {
      if (token === undefined) return reply.code(403).send(webErrors.eventsOff());
      const auth = request.headers.authorization ?? "";
      if (!auth.startsWith("Bearer ") || !sameToken(auth.slice(7), token)) {
        return reply
          .code(401)
          .header("www-authenticate", 'Bearer realm="porthost events"')
          .send(webErrors.badEventsToken());
      }
      const batch = validateEventBatch(request.body);
      if (!batch.ok) return reply.code(400).send(webErrors.badEvents(batch.error));
      for (const event of batch.value.events) hub.publish(event);
      return reply.code(202).send({ accepted: batch.value.events.length });
    },
  );

  const querystring = {
    type: "object",
    properties: {
      since: { type: "integer", minimum: 0, description: "only events with a larger id" },
      limit: { type: "integer", minimum: 1, maximum: 1000, default: 1000 },
    },
  } as const;

  app.get<{ Querystring: { since?: number; limit?: number } }>(
    EVENTS_PATH,
    {
      schema: {
        summary: "Recent connection events on every port, oldest first (bounded history)",
        tags: ["events"],
        querystring,
        response: {
          200: {
            type: "object",
            required: ["events", "lastId"],
            properties: { events: { type: "array", items: eventSchema }, lastId: { type: "integer" } },
          },
        },
      },
    },
    async (request) => ({
      events: hub.since(request.query.since ?? 0, request.query.limit),
      lastId: hub.stats().lastId,
    }),
  );

  app.get<{ Querystring: { since?: number } }>(
    `${EVENTS_PATH}/stream`,
    {
      schema: {
        summary: "Connection events as they happen (text/event-stream); resumes after Last-Event-ID or ?since=",
        tags: ["events"],
        querystring: { type: "object", properties: { since: { type: "integer", minimum: 0 } } },
      },
    },
    (request, reply: FastifyReply) => {
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
