import { notModifiedHeaders } from "./representation.js";
import type { Headers, Variant } from "./file-cache.js";

let dateSecond = -1;
let dateText = "";

/** The Date header's value, made once a second (as node's own server does). */
export function httpDate(now = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

/**
 * A body up to this size is copied behind its head, so the answer is one buffer and one write;
 * a bigger one is sent from the cache's own buffer after the head, so memory holds it once.
 */
const JOINED_BODY_BYTES = 32 * 1024; // 32 KiB

/** The answers to one representation, byte for byte, for the second they were made in. */
interface PreparedAnswers {
  readonly date: string;
  /** 200 with the body, for GET: one buffer, or the head and the body. */
  readonly full: readonly Buffer[];
  /** 200 without the body, for HEAD. */
  readonly head: Buffer;
  /** 304. */
  readonly notModified: Buffer;
}

function headLines(statusLine: string, headers: Headers, trailer: string): string {
  let text = statusLine;
  for (const name in headers) text += `${name}: ${headers[name]}\r\n`;
  return text + trailer;
}

/**
 * Whole HTTP/1.1 responses for the static representations in memory, made once a second
 * each: a request for a known small file costs one write of bytes made before it came. The
 * headers are the ones node's ServerResponse writes for the same writeHead (the variant's
 * own, then Date, Connection and Keep-Alive), so the two paths answer alike.
 */
export class WireResponses {
  private readonly prepared = new WeakMap<Variant, PreparedAnswers>();
  private readonly connectionLines: string;

  constructor(keepAliveTimeoutMs: number) {
    this.connectionLines = `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(keepAliveTimeoutMs / 1000)}\r\n\r\n`;
  }

  bytes(variant: Variant, status: 200 | 304, method: "GET" | "HEAD"): readonly Buffer[] {
    const date = httpDate();
    let answers = this.prepared.get(variant);
    if (answers?.date !== date) {
      answers = this.prepare(variant, date);
      this.prepared.set(variant, answers);
    }
    if (status === 304) return [answers.notModified];
    return method === "HEAD" ? [answers.head] : answers.full;
  }

  private prepare(variant: Variant, date: string): PreparedAnswers {
    const trailer = `Date: ${date}\r\n${this.connectionLines}`;
    const head = Buffer.from(headLines("HTTP/1.1 200 OK\r\n", variant.headers, trailer), "latin1");
    return {
      date,
      full: variant.body.length <= JOINED_BODY_BYTES ? [Buffer.concat([head, variant.body])] : [head, variant.body],
      head,
      notModified: Buffer.from(
        headLines("HTTP/1.1 304 Not Modified\r\n", notModifiedHeaders(variant.headers), trailer),
        "latin1",
      ),
    };
  }
}
