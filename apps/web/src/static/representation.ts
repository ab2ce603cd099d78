import type { StaticFile, Variant } from "./file-cache.js";
import { chooseEncoding } from "./http-ranges.js";

/** The request headers a static answer depends on, as node's IncomingHttpHeaders names them. */
export interface ConditionalHeaders {
  readonly "accept-encoding"?: string;
  readonly "if-none-match"?: string;
  readonly "if-modified-since"?: string;
}

/** Accept-Encoding values seen lately and the coding each allows: clients repeat the same few. */
const acceptedCodings = new Map<string, ReturnType<typeof chooseEncoding>>();
const MAX_REMEMBERED_ACCEPT_ENCODINGS = 64;

function codingFor(acceptEncoding: string | undefined, file: StaticFile): "br" | "gzip" | undefined {
  if (acceptEncoding === undefined || (!file.br && !file.gzip)) return undefined;
  const key = `${file.br ? "b" : ""}${file.gzip ? "g" : ""}:${acceptEncoding}`;
  let coding = acceptedCodings.get(key);
  if (coding === undefined && !acceptedCodings.has(key)) {
    coding = chooseEncoding(acceptEncoding, { br: !!file.br, gzip: !!file.gzip });
    if (acceptedCodings.size >= MAX_REMEMBERED_ACCEPT_ENCODINGS) acceptedCodings.clear();
    acceptedCodings.set(key, coding);
  }
  return coding;
}

/** The in-memory representation to send (brotli, gzip or identity), if the file is held in memory. */
export function chooseVariant(headers: ConditionalHeaders, file: StaticFile): Variant | undefined {
  if (!file.identity) return undefined;
  const coding = codingFor(headers["accept-encoding"], file);
  return coding === "br" ? file.br : coding === "gzip" ? file.gzip : file.identity;
}

/** Whether the client's validators (If-None-Match, else If-Modified-Since) still match the file. */
export function notModified(headers: ConditionalHeaders, file: StaticFile): boolean {
  const ifNoneMatch = headers["if-none-match"];
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() === "*") return true;
    const etags = [file.etag, file.br?.etag, file.gzip?.etag].map((e) => e?.replace(/^W\//, ""));
    return ifNoneMatch.split(",").some((t) => etags.includes(t.trim().replace(/^W\//, "")));
  }
  const ifModifiedSince = headers["if-modified-since"];
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  return !Number.isNaN(since) && Math.floor(file.mtimeMs / 1000) * 1000 <= since;
}

/** A 304 carries the validators and caching headers of the representation, not its type or coding. */
export function notModifiedHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const { "content-type": _type, "content-encoding": _enc, "content-length": _length, ...validators } = headers;
  return validators;
}
