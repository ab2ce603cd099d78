/**
 * A strict reader of the commonest HTTP request there is: `GET` or `HEAD` of an origin-form
 * path over HTTP/1.1, complete in the bytes at hand, with no body and nothing that changes how
 * the connection or the answer works (no Range, Expect, Upgrade, Transfer-Encoding,
 * Content-Length, nor a Connection other than keep-alive). It only says "this is one, ending
 * here" or "not one": anything else, malformed input included, is left to node's own parser,
 * which answers it by the full rules (400, 431, 408...). So being strict costs nothing but speed.
 */

/** The headers a static answer depends on, under the names node's IncomingHttpHeaders uses. */
export interface ConditionalHeaders {
  readonly "accept-encoding"?: string;
  readonly "if-none-match"?: string;
  readonly "if-modified-since"?: string;
}

export interface SimpleRequest {
  readonly method: "GET" | "HEAD";
  /** The request target as sent: a path starting with `/`, maybe with a query. */
  readonly target: string;
  readonly headers: ConditionalHeaders;
  /** Where the next request starts in the bytes read. */
  readonly end: number;
}

const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;
const SLASH = 0x2f;
const HEAD_END = Buffer.from("\r\n\r\n", "latin1");
const CRLF = Buffer.from("\r\n", "latin1");
const VERSION = Buffer.from(" HTTP/1.1\r\n", "latin1");
const GET = Buffer.from("GET ", "latin1");
const HEAD = Buffer.from("HEAD ", "latin1");

/** tchar of RFC 9110 5.6.2: the bytes a header name is made of. */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TOKEN[c.charCodeAt(0)] = 1;
}

/** Headers whose presence makes a request something other than a plain read of a file. */
const NOT_SIMPLE = new Set([
  "content-length",
  "transfer-encoding",
  "range",
  "if-range",
  "expect",
  "upgrade",
  "if-match",
  "if-unmodified-since",
]);

function startsWith(data: Buffer, at: number, prefix: Buffer): boolean {
  return data.length - at >= prefix.length && data.compare(prefix, 0, prefix.length, at, at + prefix.length) === 0;
}

function isOws(byte: number | undefined): boolean {
  return byte === SP || byte === HTAB;
}

/**
 * Reads the request that starts at `start`, or returns undefined when the bytes there are not
 * a complete simple request of at most `maxHeadBytes` (node's maxHeaderSize, so a request
 * that node would refuse as too large is never answered here).
 */
export function readSimpleRequest(data: Buffer, start: number, maxHeadBytes: number): SimpleRequest | undefined {
  const headEnd = data.indexOf(HEAD_END, start);
  if (headEnd === -1 || headEnd + 4 - start > maxHeadBytes) return undefined;

  let method: SimpleRequest["method"];
  let at: number;
  if (startsWith(data, start, GET)) [method, at] = ["GET", start + GET.length];
  else if (startsWith(data, start, HEAD)) [method, at] = ["HEAD", start + HEAD.length];
  else return undefined;

  const targetStart = at;
  if (data[at] !== SLASH) return undefined;
  while (at < headEnd && (data[at] as number) > SP && (data[at] as number) < 0x7f) at += 1;
  if (!startsWith(data, at, VERSION) || at + VERSION.length > headEnd + 2) return undefined;
  const target = data.toString("latin1", targetStart, at);
  at += VERSION.length;

  const headers: { -readonly [K in keyof ConditionalHeaders]: string } = {};
  let hasHost = false;
  // Each header line ends in CRLF; the last one's CRLF is the first half of HEAD_END.
  while (at < headEnd + 2) {
    const lineEnd = data.indexOf(CRLF, at);
    let nameEnd = at;
    while (nameEnd < lineEnd && TOKEN[data[nameEnd] as number] === 1) nameEnd += 1;
    if (nameEnd === at || data[nameEnd] !== COLON) return undefined;
    let valueStart = nameEnd + 1;
    while (valueStart < lineEnd && isOws(data[valueStart])) valueStart += 1;
    let valueEnd = lineEnd;
    while (valueEnd > valueStart && isOws(data[valueEnd - 1])) valueEnd -= 1;
    for (let i = valueStart; i < valueEnd; i += 1) {
      const byte = data[i] as number;
      if ((byte < SP && byte !== HTAB) || byte === 0x7f) return undefined;
    }
    const name = data.toString("latin1", at, nameEnd).toLowerCase();
    at = lineEnd + 2;
    if (NOT_SIMPLE.has(name)) return undefined;
    switch (name) {
      case "host":
        if (hasHost) return undefined;
        hasHost = true;
        break;
      case "connection":
        if (data.toString("latin1", valueStart, valueEnd).toLowerCase() !== "keep-alive") return undefined;
        break;
      case "accept-encoding":
      case "if-none-match":
      case "if-modified-since":
        // Node joins repeated lines of these; rather than copy its rules, let it have them.
        if (headers[name] !== undefined) return undefined;
        headers[name] = data.toString("latin1", valueStart, valueEnd);
        break;
    }
  }
  // HTTP/1.1 requires Host (node answers 400 without one).
  if (!hasHost) return undefined;
  return { method, target, headers, end: headEnd + 4 };
}
