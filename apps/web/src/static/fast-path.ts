import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { RequestRecorder } from "../events/request-recorder.js";
import type { FileCache } from "./file-cache.js";
import { chooseVariant, notModified, notModifiedHeaders } from "./representation.js";
import { isPlainPath } from "./safe-path.js";

/** Answers the request and returns true, or returns false to leave it to the framework's routes. */
export type FastPath = (request: IncomingMessage, response: ServerResponse) => boolean;

/**
 * The hot path of a static server: GET or HEAD of a file already in memory, its path known and
 * its cache entry current, answered with precomputed headers on node's own request and response,
 * before any routing (as nginx answers from its open-file cache). Everything else (a Range, a
 * path not yet seen, a file too big for memory, a redirect, a 404, the API) goes to the routes,
 * which give the same answers by the same rules, only slower.
 */
export function staticFastPath(cache: FileCache, record: RequestRecorder): FastPath {
  return (request, response) => {
    const method = request.method;
    if ((method !== "GET" && method !== "HEAD") || request.headers.range !== undefined) return false;
    const url = request.url ?? "/";
    const queryAt = url.indexOf("?");
    const urlPath = queryAt === -1 ? url : url.slice(0, queryAt);
    if (urlPath.startsWith("/api/") || !isPlainPath(urlPath)) return false;
    const hit = cache.fresh(urlPath);
    if (hit?.kind !== "file") return false;
    const variant = chooseVariant(request.headers, hit.file);
    if (!variant) return false;

    const started = performance.now();
    let status = 200;
    let bytesOut = 0;
    if (notModified(request.headers, hit.file)) {
      status = 304;
      response.writeHead(304, notModifiedHeaders(variant.headers)).end();
    } else {
      response.writeHead(200, variant.headers);
      if (method === "HEAD") response.end();
      else {
        response.end(variant.body);
        bytesOut = variant.body.length;
      }
    }
    record({
      socket: request.socket,
      method,
      url,
      status,
      bytesIn: 0,
      bytesOut,
      durationMs: performance.now() - started,
    });
    return true;
  };
}
