import { createHash } from "node:crypto";
import { watch, type FSWatcher } from "node:fs";
import { readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { brotliCompressSync, gzipSync, constants as zlib } from "node:zlib";
import { contentTypeFor, isCompressible } from "./mime-types.js";

/** Files up to this size are kept in memory with their compressed forms; larger ones stream from disk. */
export const MAX_CACHED_FILE_BYTES = 256 * 1024; // 256 KiB
/** Smaller text is not worth a Content-Encoding. */
const MIN_COMPRESS_BYTES = 256;
/** Without a file watcher, a cached file is checked against the disk at most this often. */
export const RECHECK_INTERVAL_MS = 1_000; // 1 s

export type Headers = Readonly<Record<string, string>>;

/** One representation of a file, with every header precomputed (Content-Length included). */
export interface Variant {
  readonly body: Buffer;
  readonly etag: string;
  readonly headers: Headers;
}

export interface StaticFile {
  readonly file: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly contentType: string;
  readonly etag: string;
  readonly lastModified: string;
  /** Present for small files: the identity bytes and the compressed variants worth having. */
  readonly identity?: Variant;
  readonly br?: Variant;
  readonly gzip?: Variant;
  checkedAt: number;
}

export type Resolution =
  { readonly kind: "file"; readonly file: StaticFile } | { readonly kind: "redirect"; readonly location: string };

function variant(body: Buffer, etag: string, base: Headers, encoding?: string): Variant {
  const headers: Record<string, string> = { ...base, etag, "content-length": String(body.length) };
  if (encoding) headers["content-encoding"] = encoding;
  return { body, etag, headers };
}

async function load(file: string): Promise<StaticFile> {
  const info = await stat(file);
  const contentType = contentTypeFor(file);
  const lastModified = new Date(Math.floor(info.mtimeMs / 1000) * 1000).toUTCString();
  const compressible = isCompressible(contentType);
  const base: Record<string, string> = {
    "content-type": contentType,
    "last-modified": lastModified,
    "cache-control": "no-cache",
    "accept-ranges": "bytes",
    "x-content-type-options": "nosniff",
  };
  if (compressible) base.vary = "Accept-Encoding";
  if (info.size > MAX_CACHED_FILE_BYTES) {
    const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    return { file, size: info.size, mtimeMs: info.mtimeMs, contentType, etag, lastModified, checkedAt: Date.now() };
  }
  const body = await readFile(file);
  const hash = createHash("sha1").update(body).digest("base64url").slice(0, 22);
  const etag = `"${hash}"`;
  const result: StaticFile = {
    file,
    size: body.length,
    mtimeMs: info.mtimeMs,
    contentType,
    etag,
    lastModified,
    identity: variant(body, etag, base),
    checkedAt: Date.now(),
  };
  if (compressible && body.length >= MIN_COMPRESS_BYTES) {
    const br = brotliCompressSync(body, {
      params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length },
    });
    const gz = gzipSync(body, { level: 9 });
    return {
      ...result,
      ...(br.length < body.length ? { br: variant(br, `"${hash}-br"`, base, "br") } : {}),
      ...(gz.length < body.length ? { gzip: variant(gz, `"${hash}-gz"`, base, "gzip") } : {}),
    };
  }
  return result;
}

/**
 * Where a directory's slashless path redirects: rebuilt from its segments, never from the path as
 * sent, so `//evil.example` (which a browser reads as another host) becomes `/evil.example/`.
 */
function directoryLocation(relative: string): string {
  const segments = relative.split("/").filter((s) => s !== "");
  return `/${segments.map(encodeURIComponent).join("/")}${segments.length > 0 ? "/" : ""}`;
}

/**
 * What each URL path under the root resolves to, kept in memory and dropped when anything under
 * the root changes (a recursive watcher; where there is none, a stat at most once a second).
 */
export class FileCache {
  private readonly routes = new Map<string, Resolution>();
  /** Files being read and compressed now: requests that miss together share one load, not one each. */
  private readonly loading = new Map<string, Promise<StaticFile>>();
  private readonly watcher: FSWatcher | undefined;

  private constructor(
    readonly root: string,
    private readonly realRoot: string,
  ) {
    this.watcher = this.startWatching();
  }

  static async open(root: string): Promise<FileCache> {
    const resolved = path.resolve(root);
    return new FileCache(resolved, await realpath(resolved));
  }

  private startWatching(): FSWatcher | undefined {
    try {
      const watcher = watch(this.root, { recursive: true, persistent: false }, () => this.routes.clear());
      watcher.on("error", () => this.routes.clear());
      return watcher;
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.watcher?.close();
  }

  /**
   * The cached resolution of a plain URL path when the watcher vouches that it is current, with
   * no I/O: the hot path of every request for a known file.
   */
  fresh(key: string): Resolution | undefined {
    return this.watcher ? this.routes.get(key) : undefined;
  }

  /** The cached resolution of a plain URL path, if it is still current. */
  async cached(key: string): Promise<Resolution | undefined> {
    const hit = this.routes.get(key);
    if (!hit || hit.kind !== "file" || this.watcher) return hit;
    const now = Date.now();
    if (now - hit.file.checkedAt < RECHECK_INTERVAL_MS) return hit;
    const info = await stat(hit.file.file).catch(() => undefined);
    if (info && info.mtimeMs === hit.file.mtimeMs && info.size === hit.file.size) {
      hit.file.checkedAt = now;
      return hit;
    }
    this.routes.delete(key);
    return undefined;
  }

  remember(key: string, resolution: Resolution): void {
    this.routes.set(key, resolution);
  }

  private loadOnce(file: string): Promise<StaticFile> {
    let loaded = this.loading.get(file);
    if (loaded === undefined) {
      loaded = load(file).finally(() => this.loading.delete(file));
      this.loading.set(file, loaded);
    }
    return loaded;
  }

  /** Resolves a safe relative path to a file inside the root, a directory redirect, or nothing. */
  async resolve(relative: string, urlPath: string): Promise<Resolution | undefined> {
    let candidate = path.join(this.root, relative);
    try {
      let info = await stat(candidate);
      if (info.isDirectory()) {
        if (!urlPath.endsWith("/")) return { kind: "redirect", location: directoryLocation(relative) };
        candidate = path.join(candidate, "index.html");
        info = await stat(candidate);
      }
      if (!info.isFile()) return undefined;
      // A symlink inside the root may point out of it: serve only what really lies inside.
      const real = await realpath(candidate);
      if (!real.startsWith(this.realRoot + path.sep)) return undefined;
      if (
        real
          .slice(this.realRoot.length)
          .split(path.sep)
          .some((s) => s.startsWith("."))
      )
        return undefined;
      return { kind: "file", file: await this.loadOnce(real) };
    } catch {
      return undefined;
    }
  }
}
