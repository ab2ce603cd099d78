/** RFC 9110 single byte ranges: "bytes=0-99", "bytes=100-", "bytes=-100". */
export type RangeResult =
  | { readonly kind: "none" }
  | { readonly kind: "unsatisfiable" }
  | { readonly kind: "range"; readonly start: number; readonly end: number };

/**
 * Interprets a Range header against a representation of `size` bytes. Syntax the server does not
 * support (other units, several ranges) is ignored, as RFC 9110 allows, and the whole body is sent.
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: "none" };
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(header);
  if (!match) return { kind: "none" };
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return { kind: "none" };
  let start: number;
  let end: number;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0) return { kind: "unsatisfiable" };
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
    if (last !== "" && Number(last) < start) return { kind: "none" };
  }
  if (start >= size || size === 0) return { kind: "unsatisfiable" };
  return { kind: "range", start, end };
}

/** The coding to send from what the client accepts: brotli, then gzip, else identity. */
export function chooseEncoding(
  acceptEncoding: string | undefined,
  available: { br: boolean; gzip: boolean },
): "br" | "gzip" | undefined {
  if (!acceptEncoding) return undefined;
  const accepted = new Map<string, number>();
  for (const part of acceptEncoding.toLowerCase().split(",")) {
    const [name = "", ...params] = part.trim().split(";");
    const q = params.map((p) => /^\s*q\s*=\s*([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    accepted.set(name.trim(), q === undefined ? 1 : Number(q));
  }
  const wants = (coding: string): boolean => (accepted.get(coding) ?? accepted.get("*") ?? 0) > 0;
  if (available.br && wants("br")) return "br";
  if (available.gzip && wants("gzip")) return "gzip";
  return undefined;
}
