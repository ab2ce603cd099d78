import { Type, type Static } from "typebox";
import { ConnectionEventSchema, MAX_BATCH_EVENTS } from "@porthost/events/schema";
import { AppRestartSchema } from "@porthost/events/restart";

/** An event as the web service keeps and serves it: numbered in arrival order, so readers can resume. */
export const NumberedEventSchema = Type.Object(
  {
    id: Type.Integer({ minimum: 1, description: "arrival number; pass the last one you saw as ?since=" }),
    ...ConnectionEventSchema.properties,
  },
  { additionalProperties: false },
);
export type NumberedEvent = Static<typeof NumberedEventSchema>;

/** The most events one GET returns (the history keeps about as many). */
const MAX_PAGE_EVENTS = 1_000;
const since = Type.Integer({ minimum: 0, description: "only events with a larger id" });

export const EventHistoryQuerySchema = Type.Object({
  since: Type.Optional(since),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_EVENTS, default: MAX_PAGE_EVENTS })),
});

export const EventStreamQuerySchema = Type.Object({ since: Type.Optional(since) });

/** GET /api/events: the kept history, oldest first. */
export const EventHistorySchema = Type.Object(
  {
    events: Type.Array(NumberedEventSchema),
    lastId: Type.Integer({ minimum: 0, description: "the newest id given out so far" }),
  },
  { description: "the kept events after ?since=, oldest first" },
);

export const EventsAcceptedSchema = Type.Object(
  { accepted: Type.Integer({ minimum: 0, maximum: MAX_BATCH_EVENTS, description: "events taken from the batch" }) },
  { description: "the batch is on the live view" },
);

/** GET /api/events/stream: server-sent events, each a numbered event as JSON. */
export const EventStreamSchema = {
  description:
    'server-sent events: `event: connection` with a numbered event as JSON in `data` and its id in `id`; `event: dropped` with { dropped: n } when the reader fell behind; `event: restart` with an app restart (as in /api/events/restarts) when porthost start restarts an app; `event: mail` with { change: "arrived" | "deleted", id } when a message arrives in or leaves the Maildir, whichever process did it',
  content: { "text/event-stream": { schema: Type.String() } },
};

/** GET /api/events/restarts: what porthost start's supervisor restarted in this run. */
export const RestartListSchema = Type.Object(
  { restarts: Type.Array(AppRestartSchema, { description: "oldest first; empty when nothing was restarted" }) },
  { additionalProperties: false, description: "the apps porthost start restarted in this run" },
);
export type RestartList = Static<typeof RestartListSchema>;
