import type { ParsedMail } from "mailparser";
import { htmlToText } from "./message-extracts.js";
import type { BodyEntry } from "./message-search.js";
import { SummaryFile } from "./summary-file.js";

/**
 * Beside the summaries: each message's bodies as search reads them, one JSON line each, so a
 * search after a restart reads one file instead of parsing every message again. A cache like
 * porthost-summaries.jsonl: deleting it loses nothing.
 */
export const BODY_INDEX_FILE = "porthost-bodies.jsonl";
/**
 * Body text kept per message in the index (characters). Test mail is short; 5,000 messages of
 * this much are 80 MiB at worst, and a few MiB as mail usually is. A search for words in a
 * longer message reads the rest from the message itself (BodyIndex.wholeTexts).
 */
export const MAX_INDEXED_TEXT_CHARS = 16 * 1024;
/** Whole texts of long messages kept between searches (characters): a search repeated as a test waits parses each once. */
const MAX_WHOLE_TEXT_CHARS = 16 * 1024 * 1024;
/** Mailpit's Snippet: "up to 250 characters". */
export const SNIPPET_CHARS = 250;
/** Messages parsed at once when a search needs bodies that are not indexed yet. */
const PARSE_CONCURRENCY = 8;

/** One message's entry from its parsed form, its text cut at `maxChars`. */
export function bodyEntry(id: string, mail: ParsedMail, maxChars = MAX_INDEXED_TEXT_CHARS): BodyEntry {
  const html = mail.html === false || mail.html === undefined ? "" : htmlToText(mail.html).replace(/\s+/g, " ").trim();
  const plain = (mail.text ?? "").replace(/\s+/g, " ").trim();
  const shown = plain === "" ? html : plain;
  // Most mail says the same in both parts: the words are kept once.
  const both = plain.includes(html) ? plain : html.includes(plain) ? html : `${plain} ${html}`;
  const words = both.slice(0, maxChars);
  return {
    id,
    text: words.toLowerCase(),
    snippet: shown.slice(0, SNIPPET_CHARS),
    attachments: mail.attachments.filter((a) => a.contentDisposition !== "inline" || !a.cid).length,
  };
}

/** The body entries of the Maildir's messages, made once per message and kept in memory and in BODY_INDEX_FILE. */
export class BodyIndex {
  private readonly entries = new Map<string, BodyEntry>();
  /** Whole texts of messages the index cut short, oldest first (see wholeTexts). */
  private readonly whole = new Map<string, BodyEntry>();
  private wholeChars = 0;
  private readonly file: SummaryFile<BodyEntry>;
  private fileRead: Promise<void> | undefined;

  constructor(
    root: string,
    /** Parses a message; undefined when it is gone. */
    private readonly parse: (id: string) => Promise<ParsedMail | undefined>,
  ) {
    this.file = new SummaryFile<BodyEntry>(root, BODY_INDEX_FILE);
  }

  get(id: string): BodyEntry | undefined {
    return this.entries.get(id);
  }

  /** Keeps the entry of a message parsed for another reason (it is read anyway). */
  remember(id: string, mail: ParsedMail): BodyEntry {
    const known = this.entries.get(id);
    if (known) return known;
    const entry = bodyEntry(id, mail);
    this.entries.set(id, entry);
    this.file.add(entry);
    return entry;
  }

  /** Makes sure every message of `ids` has its entry; `holds` says which messages the Maildir still has. */
  async ensure(ids: readonly string[], holds: (id: string) => boolean): Promise<void> {
    this.fileRead ??= this.file.read(holds).then((stored) => {
      for (const entry of stored) if (!this.entries.has(entry.id)) this.entries.set(entry.id, entry);
    });
    await this.fileRead;
    const missing = ids.filter((id) => !this.entries.has(id));
    for (let i = 0; i < missing.length; i += PARSE_CONCURRENCY) {
      await Promise.all(
        missing.slice(i, i + PARSE_CONCURRENCY).map(async (id) => {
          const mail = await this.parse(id);
          if (mail && holds(id)) this.remember(id, mail);
        }),
      );
    }
  }

  /**
   * For a search for words: the whole text of each message of `ids` whose text the index cut
   * short, parsed from the message (kept for later searches up to MAX_WHOLE_TEXT_CHARS); every
   * other message is searched through its index entry (get). So a word past the first
   * MAX_INDEXED_TEXT_CHARS is found, and a `-word` excludes the message, as Mailpit's full-text
   * search does.
   */
  async wholeTexts(ids: readonly string[], holds: (id: string) => boolean): Promise<Map<string, BodyEntry>> {
    await this.ensure(ids, holds);
    const found = new Map<string, BodyEntry>();
    const cut: string[] = [];
    for (const id of ids) {
      if ((this.entries.get(id)?.text.length ?? 0) < MAX_INDEXED_TEXT_CHARS) continue;
      const kept = this.whole.get(id);
      if (kept) found.set(id, kept);
      else cut.push(id);
    }
    for (let i = 0; i < cut.length; i += PARSE_CONCURRENCY) {
      await Promise.all(
        cut.slice(i, i + PARSE_CONCURRENCY).map(async (id) => {
          const mail = await this.parse(id);
          if (!mail || !holds(id)) return;
          const entry = bodyEntry(id, mail, Infinity);
          this.keepWhole(entry);
          found.set(id, entry);
        }),
      );
    }
    return found;
  }

  private keepWhole(entry: BodyEntry): void {
    this.whole.set(entry.id, entry);
    this.wholeChars += entry.text.length;
    // Oldest kept first out; a single text past the bound is used for this search only.
    for (const id of this.whole.keys()) {
      if (this.wholeChars <= MAX_WHOLE_TEXT_CHARS) break;
      this.dropWhole(id);
    }
  }

  private dropWhole(id: string): void {
    const kept = this.whole.get(id);
    if (!kept) return;
    this.whole.delete(id);
    this.wholeChars -= kept.text.length;
  }

  forget(id: string): void {
    this.entries.delete(id);
    this.dropWhole(id);
  }

  flush(): Promise<void> {
    return this.file.flush();
  }
}
