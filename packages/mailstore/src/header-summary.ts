import libmime from "libmime";
import type { FileHandle } from "node:fs/promises";
import type { HeaderSummary } from "./message-schemas.js";

/** Headers longer than this are not read for a summary; the parsed message still has them all. */
export const HEADER_READ_BYTES = 64 * 1024; // 64 KiB

/** Decodes RFC 2047 encoded-words in a header value; a broken one is left as written. */
export function decodeHeader(value: string): string {
  try {
    return libmime.decodeWords(value).trim();
  } catch {
    return value.trim();
  }
}

/** Splits an address list at commas outside quotes, comments and angle brackets. */
export function splitAddresses(value: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  let depth = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c === "\\" && quoted) {
      current += c + (value[i + 1] ?? "");
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === "<" || c === "(")) depth++;
    else if (!quoted && (c === ">" || c === ")")) depth = Math.max(0, depth - 1);
    if (c === "," && !quoted && depth === 0) {
      if (current.trim() !== "") parts.push(current.trim());
      current = "";
    } else current += c;
  }
  if (current.trim() !== "") parts.push(current.trim());
  return parts;
}

/** Reads the header block of a message (up to the first empty line) and unfolds it. */
export function parseHeaderBlock(text: string): Map<string, string[]> {
  const end = text.search(/\r?\n\r?\n/);
  const block = end === -1 ? text : text.slice(0, end);
  const headers = new Map<string, string[]>();
  for (const line of block.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const values = headers.get(name) ?? [];
    values.push(line.slice(colon + 1).trim());
    headers.set(name, values);
  }
  return headers;
}

export function summarizeHeaders(text: string): HeaderSummary {
  const headers = parseHeaderBlock(text);
  const first = (name: string): string | null => headers.get(name)?.[0] ?? null;
  const list = (name: string): string[] => (headers.get(name) ?? []).flatMap((v) => splitAddresses(decodeHeader(v)));
  return {
    from: decodeHeader(first("from") ?? ""),
    to: list("to"),
    cc: list("cc"),
    subject: decodeHeader(first("subject") ?? ""),
    date: first("date"),
    messageId: first("message-id"),
  };
}

/** The first HEADER_READ_BYTES of the message open in `handle` (of `size` bytes), as text. */
export async function readHeaderText(handle: FileHandle, size: number): Promise<string> {
  const length = Math.min(size, HEADER_READ_BYTES);
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, 0);
  // UTF-8 headers (RFC 6532) are common; a Latin-1 byte turns into U+FFFD, which lists tolerate.
  return buffer.subarray(0, bytesRead).toString("utf8");
}
