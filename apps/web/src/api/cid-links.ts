import type { FastifyReply } from "fastify";

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

/** An untrusted HTML part may only be looked at: no scripts, forms, plugins or remote loads. */
export const MAIL_HTML_CSP =
  "sandbox; default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; font-src data:; form-action 'none'; base-uri 'none'";

/** Sends a message's HTML part for the sandboxed preview: its own inline parts linked, nothing else. */
export function sendMailHtml(reply: FastifyReply, html: string, messageId: string, origin: Origin): FastifyReply {
  const linked = linkInlineParts(html, messageId, origin, MAIL_HTML_CSP);
  return reply
    .type("text/html; charset=utf-8")
    .header("content-security-policy", linked.csp)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer")
    .send(linked.html);
}
