import type { AppRestart, MailChange, NumberedEvent } from "./api-types.js";

export type StreamState = "connecting" | "live" | "reconnecting";

export interface StreamStatus {
  readonly state: StreamState;
  /** When the state last changed. */
  readonly since: Date;
  /** The last event id received: a reconnect resumes after it (Last-Event-ID). */
  readonly lastId: number;
  /** How many times the stream dropped since the page loaded. */
  readonly drops: number;
}

/** After the browser gives up on its own retries (a non-stream answer), try again at this pace. */
const RETRY_MS = [1_000, 2_000, 5_000, 10_000];

/**
 * The one EventSource of the page, shared by the panels. The browser reconnects by itself after a
 * drop and sends Last-Event-ID, so no event is lost while the history still holds it; this class
 * only makes the drop and the reconnect visible, and reopens the stream if the browser gives up.
 */
export class EventStream {
  private source: EventSource | undefined;
  private status: StreamStatus = { state: "connecting", since: new Date(), lastId: 0, drops: 0 };
  private failures = 0;
  private readonly eventListeners = new Set<(event: NumberedEvent) => void>();
  private readonly statusListeners = new Set<(status: StreamStatus, previous: StreamStatus) => void>();
  private readonly droppedListeners = new Set<(dropped: number) => void>();
  private readonly restartListeners = new Set<(restart: AppRestart) => void>();
  private readonly mailListeners = new Set<(change: MailChange) => void>();

  constructor(private readonly url: string) {}

  onEvent(listener: (event: NumberedEvent) => void): void {
    this.eventListeners.add(listener);
  }

  onStatus(listener: (status: StreamStatus, previous: StreamStatus) => void): void {
    this.statusListeners.add(listener);
    listener(this.status, this.status);
  }

  /** The server skipped events because this page read too slowly. */
  onDropped(listener: (dropped: number) => void): void {
    this.droppedListeners.add(listener);
  }

  /** porthost start restarted an app (or one it is restarting is back). */
  onRestart(listener: (restart: AppRestart) => void): void {
    this.restartListeners.add(listener);
  }

  /** A message arrived in or left the Maildir, whichever process did it (POP3, the CLI, another tab). */
  onMail(listener: (change: MailChange) => void): void {
    this.mailListeners.add(listener);
  }

  start(): void {
    const since = this.status.lastId;
    const source = new EventSource(since > 0 ? `${this.url}?since=${since}` : this.url);
    this.source = source;
    source.addEventListener("open", () => {
      this.failures = 0;
      this.setState("live");
    });
    source.addEventListener("connection", (message) => {
      const event = JSON.parse((message as MessageEvent<string>).data) as NumberedEvent;
      this.status = { ...this.status, lastId: event.id };
      for (const listener of this.eventListeners) listener(event);
    });
    source.addEventListener("restart", (message) => {
      const restart = JSON.parse((message as MessageEvent<string>).data) as AppRestart;
      for (const listener of this.restartListeners) listener(restart);
    });
    source.addEventListener("mail", (message) => {
      const change = JSON.parse((message as MessageEvent<string>).data) as MailChange;
      for (const listener of this.mailListeners) listener(change);
    });
    source.addEventListener("dropped", (message) => {
      const { dropped } = JSON.parse((message as MessageEvent<string>).data) as { dropped: number };
      for (const listener of this.droppedListeners) listener(dropped);
    });
    source.addEventListener("error", () => {
      if (this.status.state === "live") {
        this.status = { ...this.status, drops: this.status.drops + 1 };
        this.setState("reconnecting");
      } else if (this.status.state === "connecting" && this.failures === 0) {
        this.setState("reconnecting");
      }
      if (source.readyState === EventSource.CLOSED) {
        // The browser stopped retrying (the answer was not an event stream): reopen it ourselves.
        const delay = RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)] ?? 10_000;
        this.failures += 1;
        setTimeout(() => {
          if (this.source === source) this.start();
        }, delay);
      }
    });
  }

  private setState(state: StreamState): void {
    const previous = this.status;
    if (previous.state === state) return;
    this.status = { ...previous, state, since: new Date() };
    for (const listener of this.statusListeners) listener(this.status, previous);
  }
}
