/** What tests look for in a message: its links and likely one-time codes, and its text for search. */

/** Links and codes past these counts are left out: a newsletter has hundreds of links, a test wants a few. */
export const MAX_LINKS = 200;
export const MAX_CODES = 20;

const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,6});/gi, (whole, name: string) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** The words an HTML part shows: no tags, no style or script, entities decoded. */
export function htmlToText(html: string): string {
  return decodeEntities(
    html
      .replace(/<(style|script|head)\b[\s\S]*?<\/\1\s*>/gi, " ")
      .replace(/<!--[\s\S]*?-->/g, " ")
      .replace(/<(br|\/p|\/div|\/tr|\/li|\/h\d)\b[^>]*>/gi, "\n")
      .replace(/<[^>]*>/g, " "),
  );
}

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'`{}|\\^]+/gi;
/** Where a link goes (a, area): images and stylesheets are not links a reader follows. */
const HREF = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi;

/** A URL as found, without the punctuation a sentence puts after it. */
function trimUrl(url: string): string {
  let end = url.length;
  while (end > 0 && ".,;:!?)]'\"".includes(url[end - 1] as string)) {
    // A closing parenthesis belongs to the URL when it opened one (Wikipedia's links).
    if (url[end - 1] === ")" && url.slice(0, end).split("(").length > url.slice(0, end).split(")").length - 1) break;
    end--;
  }
  return url.slice(0, end);
}

/** Every http(s) URL in the text part and the HTML part (its href attributes and its text), each once, in order. */
export function extractLinks(text: string | null, html: string | null): string[] {
  const links = new Set<string>();
  const add = (candidate: string): void => {
    const url = trimUrl(decodeEntities(candidate.trim()));
    if (links.size < MAX_LINKS && /^https?:\/\/[^/\s]+/i.test(url)) links.add(url);
  };
  if (html !== null) {
    for (const match of html.matchAll(HREF)) add(match[1] ?? match[2] ?? match[3] ?? "");
    for (const match of htmlToText(html).matchAll(URL_IN_TEXT)) add(match[0]);
  }
  if (text !== null) for (const match of text.matchAll(URL_IN_TEXT)) add(match[0]);
  return [...links];
}

/** Words that say a code follows (or precedes) them, in the languages test mail is usually in. */
const CODE_WORDS =
  /\b(?:code|codes|otp|pin|passcode|verification|verify|one[- ]time|security|confirmation|confirm|token|2fa|mfa|login|sign[- ]in|código|codigo|kód|kod|coder?)\b|認証|確認|コード|验证码|驗證碼/i;
/** 4 to 8 digits standing alone (a dash or a space inside 6 digits, as "123-456", is one code too). */
const CODE_CANDIDATE = /(?<![\w.,/:+-])(\d{3}[- ]\d{3}|\d{4,8})(?![\w/:]|[.,]\d|-\d)/g;
/** How far from a code word a code may be, in characters. */
const CODE_WINDOW = 60;

/** 1900 to 2100 in four digits reads as a year far more often than as a code. */
function looksLikeYear(digits: string): boolean {
  const year = Number(digits);
  return digits.length === 4 && year >= 1900 && year <= 2100;
}

/**
 * Likely one-time codes: 4 to 8 digits near a word such as code, verification, OTP or PIN,
 * leaving out years, and digits that are part of a phone number, a date, a price or a URL.
 */
export function extractCodes(text: string | null, html: string | null): string[] {
  const codes = new Set<string>();
  const sources = [text, html === null ? null : htmlToText(html)];
  for (const source of sources) {
    if (source === null) continue;
    for (const match of source.matchAll(CODE_CANDIDATE)) {
      const found = match[1] as string;
      const at = match.index;
      const before = source.slice(Math.max(0, at - CODE_WINDOW), at);
      const after = source.slice(at + found.length, at + found.length + CODE_WINDOW);
      // Phone numbers: a + or a parenthesised area code, or more digit groups right beside.
      if (/(?:\+\d*|\(\d+\)|\d[\s-])\s*$/.test(before) || /^[\s-]\d/.test(after)) continue;
      if (/[$€£¥]\s*$/.test(before) || /^\s*(?:%|€|usd|eur|kb|mb|gb|px)\b/i.test(after)) continue;
      const digits = found.replace(/[- ]/g, "");
      if (looksLikeYear(digits)) continue;
      if (!CODE_WORDS.test(before) && !CODE_WORDS.test(after)) continue;
      if (codes.size < MAX_CODES) codes.add(digits);
    }
  }
  return [...codes];
}
