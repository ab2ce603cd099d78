import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { redirectWithinSite } from "../redirect.js";
import { webErrors } from "../web-errors.js";
import { FileCache, type Resolution, type StaticFile } from "./file-cache.js";
import { parseRange } from "./http-ranges.js";
import { chooseVariant, notModified, notModifiedHeaders } from "./representation.js";
import { isPlainPath, safeRelativePath } from "./safe-path.js";

const STATIC_METHODS = ["GET", "HEAD"];

/** If-Range: the range applies only while the client's validator still matches. */
function rangeStillValid(request: FastifyRequest, file: StaticFile): boolean {
  const ifRange = request.headers["if-range"];
  if (ifRange === undefined) return true;
  if (typeof ifRange !== "string") return false;
  return ifRange.startsWith('"') ? ifRange === file.etag : ifRange === file.lastModified;
}

function send(request: FastifyRequest, reply: FastifyReply, file: StaticFile): FastifyReply {
  const chosen = chooseVariant(request.headers, file);
  const headers = chosen?.headers ?? {
    "content-type": file.contentType,
    etag: file.etag,
    "last-modified": file.lastModified,
    "cache-control": "no-cache",
    "accept-ranges": "bytes",
    "x-content-type-options": "nosniff",
    "content-length": String(file.size),
  };

  if (notModified(request.headers, file)) return reply.code(304).headers(notModifiedHeaders(headers)).send();

  const range =
    request.headers.range !== undefined && rangeStillValid(request, file)
      ? parseRange(request.headers.range, file.size)
      : undefined;
  if (range?.kind === "unsatisfiable") {
    return reply
      .code(416)
      .header("content-range", `bytes */${file.size}`)
      .send(webErrors.rangeNotSatisfiable(file.size));
  }
  if (range?.kind === "range") {
    const { "content-encoding": _enc, "content-length": _length, ...plain } = headers;
    reply.code(206).headers({
      ...plain,
      etag: file.etag,
      "content-range": `bytes ${range.start}-${range.end}/${file.size}`,
      "content-length": String(range.end - range.start + 1),
    });
    if (request.method === "HEAD") return reply.send();
    if (file.identity) return reply.send(file.identity.body.subarray(range.start, range.end + 1));
    return reply.send(createReadStream(file.file, { start: range.start, end: range.end }));
  }

  reply.headers(headers);
  // HEAD: the headers only (fastify keeps their content-length); a big file is not even opened.
  if (request.method === "HEAD") return reply.send();
  return reply.send(chosen ? chosen.body : createReadStream(file.file));
}

async function sendNotFound(reply: FastifyReply, root: string): Promise<FastifyReply> {
  const page = await readFile(path.join(root, "404.html")).catch(() => undefined);
  reply.code(404);
  if (page) return reply.type("text/html; charset=utf-8").send(page);
  return reply.send(webErrors.notFound());
}

/**
 * Serves the files under root: the right Content-Type, ETag and Last-Modified with 304, one byte
 * range with 206 (416 when unsatisfiable), brotli or gzip for text, index.html for directories,
 * never a path outside the root or a dotfile. Small files are answered from memory, with every
 * header made when the file was read.
 */
export async function registerStaticFiles(app: FastifyInstance, root: string): Promise<void> {
  const cache = await FileCache.open(root);
  app.addHook("onClose", async () => cache.close());

  const resolveSlowly = async (
    request: FastifyRequest,
    reply: FastifyReply,
    urlPath: string,
    plain: boolean,
  ): Promise<FastifyReply> => {
    let resolution = plain ? await cache.cached(urlPath) : undefined;
    if (!resolution) {
      const relative = safeRelativePath(urlPath);
      resolution = relative === undefined ? undefined : await cache.resolve(relative, urlPath);
      if (resolution && plain) cache.remember(urlPath, resolution);
    }
    return answer(request, reply, resolution);
  };

  const answer = (
    request: FastifyRequest,
    reply: FastifyReply,
    resolution: Resolution | undefined,
  ): FastifyReply | Promise<FastifyReply> => {
    if (!resolution) return sendNotFound(reply, cache.root);
    if (resolution.kind === "redirect") return redirectWithinSite(reply, resolution.location, 301);
    return send(request, reply, resolution.file);
  };

  // Not async: a known file is answered from memory without a promise; only misses touch the disk.
  const handler = (request: FastifyRequest, reply: FastifyReply): FastifyReply | Promise<FastifyReply> => {
    const queryAt = request.url.indexOf("?");
    const urlPath = queryAt === -1 ? request.url : request.url.slice(0, queryAt);
    const plain = isPlainPath(urlPath);
    const fresh = plain ? cache.fresh(urlPath) : undefined;
    if (fresh) return answer(request, reply, fresh);
    return resolveSlowly(request, reply, urlPath, plain);
  };

  app.route({ method: STATIC_METHODS, url: "/*", handler });
  app.route({
    method: ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    url: "/*",
    handler: async (_request, reply) =>
      reply.code(405).header("allow", STATIC_METHODS.join(", ")).send(webErrors.methodNotAllowed(STATIC_METHODS)),
  });
}
