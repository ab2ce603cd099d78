/** `cid:` in an attribute or a CSS url(): the part the message carries itself. */
const CID_REFERENCE = /(["'(=]\s*)cid:([^"')\s>]+)/gi;

/**
 * Points the HTML part's `cid:` references at the message's own parts on this origin, so the
 * sandboxed preview shows inline images; anything remote stays blocked by the CSP.
 */
export function linkInlineParts(html: string, messageId: string): string {
  return html.replace(
    CID_REFERENCE,
    (_whole, before: string, cid: string) =>
      `${before}/api/messages/${encodeURIComponent(messageId)}/cid/${encodeURIComponent(safeDecode(cid))}`,
  );
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
