import type { ConnectionEvent } from "@porthost/events";

/** An event as the web service keeps it: numbered in arrival order, so clients can resume. */
export interface NumberedEvent extends ConnectionEvent {
  readonly id: number;
}

export type Listener = (event: NumberedEvent) => void;

/** Events kept for `GET /api/events?since=` and for browsers that reconnect. */
export const DEFAULT_HISTORY_EVENTS = 1_000;

/**
 * Every service's connection events in one place: a bounded history (oldest dropped first) and
 * the live listeners (the SSE streams). Publishing never waits on a listener.
 */
export class EventHub {
  private readonly history: NumberedEvent[] = [];
  private readonly listeners = new Set<Listener>();
  private nextId = 1;
  private received = 0;

  constructor(private readonly capacity = DEFAULT_HISTORY_EVENTS) {}

  publish(event: ConnectionEvent): NumberedEvent {
    const numbered: NumberedEvent = { id: this.nextId++, ...event };
    this.received += 1;
    this.history.push(numbered);
    if (this.history.length > this.capacity) this.history.shift();
    for (const listener of this.listeners) listener(numbered);
    return numbered;
  }

  /** Kept events with an id above `since`, oldest first, at most `limit`. */
  since(since: number, limit = this.capacity): NumberedEvent[] {
    const first = this.history.findIndex((e) => e.id > since);
    return first === -1 ? [] : this.history.slice(first, first + limit);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): { received: number; kept: number; lastId: number; listeners: number } {
    return {
      received: this.received,
      kept: this.history.length,
      lastId: this.nextId - 1,
      listeners: this.listeners.size,
    };
  }
}
