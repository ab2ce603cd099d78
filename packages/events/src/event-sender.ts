import http from "node:http";
import { silentLogger, type Logger } from "@porthost/log";
import type { Address } from "@porthost/ports";
import { EVENTS_PATH, MAX_BATCH_EVENTS, type ConnectionEvent } from "./connection-event.js";

export const DEFAULT_MAX_QUEUED_EVENTS = 1_000; // events held while the web service is slow or down
export const DEFAULT_FLUSH_DELAY_MS = 100; // gather events this long into one POST
export const DEFAULT_REQUEST_TIMEOUT_MS = 2_000; // 2 s
export const DEFAULT_BACKOFF_MS = 500; // first pause after a failed POST, doubled each time
export const DEFAULT_MAX_BACKOFF_MS = 30_000; // 30 s
export const CLOSE_FLUSH_MS = 1_000; // close() waits at most this long for the last POST

export interface EventSenderOptions {
  /** Where the web service listens (`config.services.http.addr`). */
  readonly target: Address;
  /** `config.events.token`; undefined disables the sender. */
  readonly token: string | undefined;
  readonly logger?: Logger;
  readonly maxQueuedEvents?: number;
  readonly maxBatchEvents?: number;
  readonly flushDelayMs?: number;
  readonly requestTimeoutMs?: number;
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
}

export interface EventSenderStats {
  readonly enabled: boolean;
  /** Waiting in the queue, not yet posted. */
  readonly queued: number;
  /** Accepted by the web service (2xx). */
  readonly sent: number;
  /** Lost: the queue was full, a POST failed, or the sender was closed. */
  readonly dropped: number;
  readonly failedRequests: number;
}

/** What a service needs to report events: a send that never blocks or throws. */
export interface EventSink {
  send(event: ConnectionEvent): void;
}

export interface EventSender extends EventSink {
  readonly enabled: boolean;
  stats(): EventSenderStats;
  /** Posts what is queued (waiting at most CLOSE_FLUSH_MS) and releases the connection. */
  close(): Promise<void>;
}

interface PostResult {
  readonly ok: boolean;
  readonly why: string;
}

/** A sink that drops everything, for services run without a web service (tests, bench). */
export const NO_EVENTS: EventSink = Object.freeze({ send: () => undefined });

/**
 * Posts connection events to the web service in batches, one request at a time over a
 * keep-alive connection. When the queue is full or the web service is down or slow, events
 * are dropped and counted, never retried: the live view is best effort, the service is not.
 */
export function createEventSender(options: EventSenderOptions): EventSender {
  const logger = options.logger ?? silentLogger();
  const maxQueued = options.maxQueuedEvents ?? DEFAULT_MAX_QUEUED_EVENTS;
  const maxBatch = Math.min(options.maxBatchEvents ?? MAX_BATCH_EVENTS, MAX_BATCH_EVENTS);
  const flushDelayMs = options.flushDelayMs ?? DEFAULT_FLUSH_DELAY_MS;
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const baseBackoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  const maxBackoffMs = options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
  const token = options.token;

  if (token === undefined) {
    logger.info("connection events are off: set PORTHOST_EVENTS_TOKEN (the same value for web) to send them");
    return {
      enabled: false,
      send: () => undefined,
      stats: () => ({ enabled: false, queued: 0, sent: 0, dropped: 0, failedRequests: 0 }),
      close: () => Promise.resolve(),
    };
  }

  // One socket: events arrive in order and a slow web service sees one request at a time.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const queue: ConnectionEvent[] = [];
  let sent = 0;
  let dropped = 0;
  let failedRequests = 0;
  let backoffMs = 0;
  let resumeAt = 0;
  let failing = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;

  function post(batch: readonly ConnectionEvent[]): Promise<PostResult> {
    return new Promise((resolve) => {
      const body = JSON.stringify({ events: batch });
      const request = http.request(
        {
          host: options.target.host,
          port: options.target.port,
          path: EVENTS_PATH,
          method: "POST",
          agent,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            authorization: `Bearer ${token}`,
          },
        },
        (response) => {
          const status = response.statusCode ?? 0;
          response.resume();
          response.on("end", () => resolve({ ok: status >= 200 && status < 300, why: `HTTP ${status}` }));
          response.on("error", (error) => resolve({ ok: false, why: error.message }));
        },
      );
      request.setTimeout(requestTimeoutMs, () => request.destroy(new Error(`no answer in ${requestTimeoutMs} ms`)));
      request.on("error", (error: NodeJS.ErrnoException) => resolve({ ok: false, why: error.code ?? error.message }));
      request.end(body);
    });
  }

  function settle(batch: readonly ConnectionEvent[], result: PostResult): void {
    if (result.ok) {
      sent += batch.length;
      backoffMs = 0;
      if (failing) logger.info({ target: options.target }, "connection events reach the web service again");
      failing = false;
      return;
    }
    dropped += batch.length;
    failedRequests += 1;
    backoffMs = Math.min(backoffMs === 0 ? baseBackoffMs : backoffMs * 2, maxBackoffMs);
    resumeAt = Date.now() + backoffMs;
    // One line when the web service goes away, not one per batch.
    if (!failing)
      logger.warn(
        { target: options.target, why: result.why },
        "connection events cannot reach the web service; dropping them until it answers",
      );
    failing = true;
  }

  function flush(): void {
    timer = undefined;
    if (inFlight || queue.length === 0) return;
    const batch = queue.splice(0, maxBatch);
    inFlight = post(batch).then((result) => {
      settle(batch, result);
      inFlight = undefined;
      if (!closed) schedule();
    });
  }

  function schedule(): void {
    if (timer || inFlight || queue.length === 0) return;
    const wait = Math.max(resumeAt - Date.now(), queue.length >= maxBatch ? 0 : flushDelayMs);
    timer = setTimeout(flush, wait);
    timer.unref();
  }

  return {
    enabled: true,
    send(event) {
      if (closed || queue.length >= maxQueued) {
        dropped += 1;
        return;
      }
      queue.push(event);
      schedule();
    },
    stats: () => ({ enabled: true, queued: queue.length, sent, dropped, failedRequests }),
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_FLUSH_MS).unref());
      const drain = async (): Promise<void> => {
        if (inFlight) await inFlight;
        while (queue.length > 0 && !failing) {
          const batch = queue.splice(0, maxBatch);
          settle(batch, await post(batch));
        }
      };
      await Promise.race([drain(), deadline]);
      dropped += queue.length;
      queue.length = 0;
      agent.destroy();
    },
  };
}
