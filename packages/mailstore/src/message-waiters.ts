import type { MailStore } from "./mail-store.js";
import type { MessageSummary } from "./message-schemas.js";
import { SearchSyntaxError, parseSearch, type SearchQuery, type SearchTerm } from "./message-search.js";

/** Requests waiting for mail at once; one more is answered 503 (each holds a connection, a timer and a closure). */
export const MAX_WAITERS = 1_000;

export type WaitOutcome =
  | { readonly kind: "found"; readonly message: MessageSummary }
  | { readonly kind: "timeout" }
  | { readonly kind: "closing" };

interface Waiter {
  readonly query: SearchQuery;
  readonly settle: (outcome: WaitOutcome) => void;
}

/** Past the cap: the route answers 503. */
export class TooManyWaiters extends Error {
  override readonly name = "TooManyWaiters";
}

/**
 * Requests waiting for a message that matches their query. One arrival listener on the store
 * serves them all: the Maildir watcher reports each new file (whichever process stored it), and
 * only then are the waiters' queries tried on it. Nothing runs while no mail arrives.
 */
export class MessageWaiters {
  private readonly waiting = new Set<Waiter>();
  private stopListening: (() => void) | undefined;
  private readonly arrived: string[] = [];
  private draining = false;

  constructor(
    private readonly store: MailStore,
    readonly max = MAX_WAITERS,
  ) {}

  get size(): number {
    return this.waiting.size;
  }

  /**
   * Resolves with the newest message matching `query` (one already stored counts), with the
   * first that arrives otherwise, or with a timeout after `timeoutMs`. `cancel` (the client went
   * away) stops waiting. Throws TooManyWaiters past the cap.
   */
  wait(query: SearchQuery, timeoutMs: number, cancelled: (cancel: () => void) => void): Promise<WaitOutcome> {
    if (this.waiting.size >= this.max) throw new TooManyWaiters(`${this.max} requests wait for mail already`);
    return new Promise<WaitOutcome>((resolve) => {
      const timer = setTimeout(() => settle({ kind: "timeout" }), timeoutMs);
      const settle = (outcome: WaitOutcome): void => {
        if (!this.waiting.delete(waiter)) return;
        clearTimeout(timer);
        if (this.waiting.size === 0) this.stopListening?.();
        resolve(outcome);
      };
      const waiter: Waiter = { query, settle };
      // Listening before looking at what is stored: a message that lands in between is not missed.
      this.waiting.add(waiter);
      this.stopListening ??= this.listen();
      cancelled(() => settle({ kind: "timeout" }));
      this.store.list({ query, limit: 1 }).then(
        (page) => {
          const newest = page.messages[0];
          if (newest) settle({ kind: "found", message: newest });
        },
        () => undefined, // a failed look at stored mail leaves the wait to arrivals
      );
    });
  }

  /** Ends every wait (the service is closing). */
  close(): void {
    for (const waiter of [...this.waiting]) waiter.settle({ kind: "closing" });
  }

  private listen(): () => void {
    const stop = this.store.onArrival((id) => {
      this.arrived.push(id);
      void this.drain();
    });
    return () => {
      stop();
      this.stopListening = undefined;
    };
  }

  /** Tries each arrived message on every waiter, one message at a time, in arrival order. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let id = this.arrived.shift(); id !== undefined; id = this.arrived.shift()) {
        for (const waiter of [...this.waiting]) {
          const found = await this.store.matches(id, waiter.query).catch(() => undefined);
          if (found) waiter.settle({ kind: "found", message: found });
        }
        if (this.waiting.size === 0) this.arrived.length = 0;
      }
    } finally {
      this.draining = false;
    }
  }
}

/** What a wait looks for: a search (q), and parts of the recipient, sender and subject. */
export interface WaitFilters {
  readonly to?: string | readonly string[] | undefined;
  readonly from?: string | undefined;
  readonly subject?: string | undefined;
  readonly q?: string | undefined;
  /** Only messages received at or after this time: ISO 8601 or milliseconds since 1970. */
  readonly since?: string | undefined;
}

/** The filters of a wait as one search; throws SearchSyntaxError for a query or a since it cannot read. */
export function waitQuery(filters: WaitFilters): SearchQuery {
  const base = parseSearch(filters.q ?? "");
  const terms: SearchTerm[] = [...base.terms];
  const text = (field: "to" | "from" | "subject", value: string | undefined): void => {
    const wanted = value?.trim().toLowerCase();
    if (wanted) terms.push({ negate: false, kind: "text", field, value: wanted });
  };
  for (const to of typeof filters.to === "string" ? [filters.to] : (filters.to ?? [])) text("to", to);
  text("from", filters.from);
  text("subject", filters.subject);
  if (filters.since !== undefined) {
    const time = /^\d{1,15}$/.test(filters.since) ? Number(filters.since) : Date.parse(filters.since);
    if (Number.isNaN(time)) {
      throw new SearchSyntaxError(`since ${filters.since} is not a time: write ISO 8601 or milliseconds since 1970`);
    }
    terms.push({ negate: false, kind: "after", time });
  }
  return { terms, needsBody: base.needsBody };
}
