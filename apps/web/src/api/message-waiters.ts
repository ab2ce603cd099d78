import type { MailStore, MessageSummary, SearchQuery } from "@porthost/mailstore";

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
