import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { ServedRequest } from "../events/http-event.js";
import type { RequestRecorder } from "../events/request-recorder.js";
import type { FileCache, Variant } from "./file-cache.js";
import { chooseVariant, notModified, notModifiedHeaders } from "./representation.js";
import { isPlainPath } from "./safe-path.js";
import type { ConditionalHeaders, SimpleRequest } from "./simple-request.js";
import type { WireAnswer } from "./wire-connections.js";
import { WireResponses } from "./wire-response.js";

/** Answers the request and returns true, or returns false to leave it to the framework's routes. */
export type FastPath = (request: IncomingMessage, response: ServerResponse) => boolean;

interface CachedAnswer {
  readonly status: 200 | 304;
  readonly variant: Variant;
}

/**
 * The answer from memory to a GET or HEAD of `url` without a Range: a file already in memory,
 * its path known and its cache entry current. Anything else (a path not yet seen, a file too
 * big for memory, a redirect, a 404, the API) is for the routes, which give the same answers
 * by the same rules, only slower.
 */
function cachedAnswer(cache: FileCache, url: string, headers: ConditionalHeaders): CachedAnswer | undefined {
  const queryAt = url.indexOf("?");
  const urlPath = queryAt === -1 ? url : url.slice(0, queryAt);
  if (urlPath.startsWith("/api/") || !isPlainPath(urlPath)) return undefined;
  const hit = cache.fresh(urlPath);
  if (hit?.kind !== "file") return undefined;
  const variant = chooseVariant(headers, hit.file);
  if (!variant) return undefined;
  return { status: notModified(headers, hit.file) ? 304 : 200, variant };
}

/** The request as the recorder reports it: its status, and the body bytes sent (none for HEAD and 304). */
function served(answer: CachedAnswer, socket: Socket, method: string, url: string, started: number): ServedRequest {
  return {
    socket,
    method,
    url,
    status: answer.status,
    bytesIn: 0,
    bytesOut: answer.status === 200 && method !== "HEAD" ? answer.variant.body.length : 0,
    durationMs: performance.now() - started,
  };
}

/**
 * The hot path of a static server on node's own request and response, before any routing:
 * for connections node parses (the wire fast path gave them up).
 */
export function staticFastPath(cache: FileCache, record: RequestRecorder): FastPath {
  return (request, response) => {
    const method = request.method;
    if ((method !== "GET" && method !== "HEAD") || request.headers.range !== undefined) return false;
    const url = request.url ?? "/";
    const started = performance.now();
    const answer = cachedAnswer(cache, url, request.headers);
    if (!answer) return false;
    const { status, variant } = answer;
    if (status === 304) response.writeHead(304, notModifiedHeaders(variant.headers)).end();
    else {
      response.writeHead(200, variant.headers);
      if (method === "HEAD") response.end();
      else response.end(variant.body);
    }
    record(served(answer, request.socket, method, url, started));
    return true;
  };
}

/**
 * The same answers as whole responses made ahead, for the wire fast path in front of node's
 * parser (installWireFastPath): a simple request for a known file costs one write.
 */
export function staticWireAnswer(cache: FileCache, record: RequestRecorder, keepAliveTimeoutMs: number): WireAnswer {
  const responses = new WireResponses(keepAliveTimeoutMs);
  return (request: SimpleRequest, socket: Socket) => {
    const started = performance.now();
    const answer = cachedAnswer(cache, request.target, request.headers);
    if (!answer) return undefined;
    const buffers = responses.bytes(answer.variant, answer.status, request.method);
    record(served(answer, socket, request.method, request.target, started));
    return buffers;
  };
}
