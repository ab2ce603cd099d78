import { readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import type { FastifyInstance, FastifyReply } from "fastify";
import { contentTypeFor } from "./mime-types.js";
import { webErrors } from "./web-errors.js";

export interface StaticOptions {
  /** The folder served at `/`. */
  readonly root: string;
}

/**
 * Maps a URL path to a file inside root, or undefined when the path could leave the root,
 * names a dotfile, or carries characters no file name here should have.
 */
export function safeRelativePath(urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0") || decoded.includes("\\") || decoded.includes("%")) return undefined;
  const segments = decoded.split("/").filter((s) => s !== "");
  if (segments.some((s) => s === "." || s === ".." || s.startsWith("."))) return undefined;
  return segments.join("/");
}

interface FoundFile {
  readonly file: string;
  /** The file is a directory's index.html, reached through the directory's path. */
  readonly viaDirectory: boolean;
}

async function resolveFile(root: string, realRoot: string, relative: string): Promise<FoundFile | undefined> {
  let candidate = path.join(root, relative);
  let viaDirectory = false;
  try {
    let info = await stat(candidate);
    if (info.isDirectory()) {
      candidate = path.join(candidate, "index.html");
      viaDirectory = true;
      info = await stat(candidate);
    }
    if (!info.isFile()) return undefined;
    // A symlink inside the root may point out of it: check where the file really is.
    const real = await realpath(candidate);
    if (!real.startsWith(realRoot + path.sep)) return undefined;
    return { file: real, viaDirectory };
  } catch {
    return undefined;
  }
}

async function sendNotFound(reply: FastifyReply, root: string): Promise<FastifyReply> {
  const page = await readFile(path.join(root, "404.html")).catch(() => undefined);
  reply.code(404);
  if (page) return reply.type("text/html; charset=utf-8").send(page);
  return reply.send(webErrors.notFound());
}

/** Serves files under root with the Content-Type their extension calls for. */
export async function registerStaticFiles(app: FastifyInstance, options: StaticOptions): Promise<void> {
  const root = path.resolve(options.root);
  const realRoot = await realpath(root);

  app.route({
    method: ["GET", "HEAD"],
    url: "/*",
    handler: async (request, reply) => {
      const urlPath = request.url.split("?")[0] ?? "/";
      const relative = safeRelativePath(urlPath);
      const found = relative === undefined ? undefined : await resolveFile(root, realRoot, relative);
      if (!found) return sendNotFound(reply, root);
      if (found.viaDirectory && !urlPath.endsWith("/")) return reply.redirect(`${urlPath}/`, 301);
      const body = await readFile(found.file);
      return reply.type(contentTypeFor(found.file)).header("cache-control", "no-cache").send(body);
    },
  });
}
