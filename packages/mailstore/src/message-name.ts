/** What a Maildir file name says: the message's stable id, its flags, and when it arrived. */

/** The part of `new/` and `cur/` names that never changes; `:2,<flags>` follows in cur/. */
export function messageId(fileName: string): string {
  const colon = fileName.indexOf(":");
  return colon === -1 ? fileName : fileName.slice(0, colon);
}

/** Maildir info flags (`:2,FRS` -> "FRS"), empty for a message still in new/. */
export function messageFlags(fileName: string): string {
  const match = /:2,([A-Za-z]*)$/.exec(fileName);
  return match?.[1] ?? "";
}

/** A name a reader may treat as a message: not a dotfile, not empty, no path separator. */
export function isMessageFileName(fileName: string): boolean {
  return fileName !== "" && !fileName.startsWith(".") && !fileName.includes("/");
}

/**
 * Microseconds since the epoch from a unique name (`<seconds>.M<micros>P...` as porthost,
 * Python's mailbox and Dovecot write it; `<seconds>.` for older writers), so arrival order
 * comes from the name alone, without a stat. Names that start otherwise sort as oldest.
 */
export function arrivalMicros(id: string): number {
  const match = /^(\d{1,12})\.(?:M(\d{1,6})(?=P))?/.exec(id);
  if (!match) return 0;
  return Number(match[1]) * 1_000_000 + Number(match[2] ?? 0);
}
