/** `cid:` in an attribute or a CSS url(): the part the message carries itself. */
const CID_REFERENCE = /(["'(=]\s*)cid:([^"')\s>]+)/gi;

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Where a request came in: scheme and Host (the Host is one checkHost let through). */
interface Origin {
  readonly protocol: string;
  readonly host: string;
}

/**
 * Points the HTML part's `cid:` references at the message's own parts on this origin, so the
 * sandboxed preview shows inline images. The policy then lets images load from that message's
 * parts path alone (not the rest of this origin); anything remote stays blocked.
 */
export function linkInlineParts(
  html: string,
  messageId: string,
  origin: Origin,
  csp: string,
): { html: string; csp: string } {
  const parts = `/api/messages/${encodeURIComponent(messageId)}/cid/`;
  const linked = html.replace(
    CID_REFERENCE,
    (_whole, before: string, cid: string) => `${before}${parts}${encodeURIComponent(safeDecode(cid))}`,
  );
  if (linked === html || origin.host === "") return { html: linked, csp };
  return { html: linked, csp: csp.replace("img-src ", `img-src ${origin.protocol}://${origin.host}${parts} `) };
}
