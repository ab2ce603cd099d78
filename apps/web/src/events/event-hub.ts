import type { ConnectionEvent } from "@porthost/events/schema";
import type { NumberedEvent } from "./event-schemas.js";
import { MailChanges } from "./mail-changes.js";
import { RestartLog } from "./restart-log.js";

export type Listener = (event: NumberedEvent) => void;

/** Events kept for `GET /api/events?since=` and for browsers that reconnect. */
export const DEFAULT_HISTORY_EVENTS = 1_000;

// Field by field rather than `{ id, ...event }`: copying by spread is the slow generic path, and
// this runs for every request the web service answers. One shape for all (detail, tls, probe and
// status may be undefined, which JSON leaves out).
function numbered(id: number, e: ConnectionEvent): NumberedEvent {
  return {
    id,
    time: e.time,
    service: e.service,
    transport: e.transport,
    localPort: e.localPort,
    remoteAddress: e.remoteAddress,
    remotePort: e.remotePort,
    bytesIn: e.bytesIn,
    bytesOut: e.bytesOut,
    durationMs: e.durationMs,
    outcome: e.outcome,
    detail: e.detail,
    tls: e.tls,
    probe: e.probe,
    status: e.status,
    session: e.session,
  };
}

/**
 * Every service's connection events in one place: a bounded history (oldest dropped first) and
 * the live listeners (the SSE streams). Publishing never waits on a listener.
 */
export class EventHub {
  /** A ring: event n is at (n - 1) % capacity, and the kept ones are the last `kept` ids. */
  private readonly history: (NumberedEvent | undefined)[];
  private readonly listeners = new Set<Listener>();
  private lastId = 0;
  private kept = 0;
  /** The apps porthost start restarted: shown beside the connections, on the same streams. */
  readonly restarts = new RestartLog();
  /** Mail that arrived or was deleted, by any process: the inbox follows it on the same streams. */
  readonly mail = new MailChanges();

  constructor(private readonly capacity = DEFAULT_HISTORY_EVENTS) {
    this.history = new Array<NumberedEvent | undefined>(capacity).fill(undefined);
  }

  publish(event: ConnectionEvent): NumberedEvent {
    const id = ++this.lastId;
    const kept = numbered(id, event);
    this.history[(id - 1) % this.capacity] = kept;
    if (this.kept < this.capacity) this.kept += 1;
    for (const listener of this.listeners) listener(kept);
    return kept;
  }

  /** Kept events with an id above `since`, oldest first, at most `limit`. */
  since(since: number, limit = this.capacity): NumberedEvent[] {
    const first = Math.max(Math.floor(since) + 1, this.lastId - this.kept + 1);
    const last = Math.min(this.lastId, first + Math.max(0, Math.floor(limit)) - 1);
    const events: NumberedEvent[] = [];
    for (let id = first; id <= last; id++) events.push(this.history[(id - 1) % this.capacity]!);
    return events;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): { received: number; kept: number; lastId: number; listeners: number } {
    return { received: this.lastId, kept: this.kept, lastId: this.lastId, listeners: this.listeners.size };
  }
}
