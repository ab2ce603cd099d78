import { createReadStream } from "node:fs";
import { open, readFile, rm, unlink } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { simpleParser, type Attachment, type ParsedMail } from "mailparser";
import { BodyIndex } from "./body-index.js";
import { isMissing, renamePath } from "./fd-io.js";
import { decodeHeader, readHeaderText, summarizeHeaders } from "./header-summary.js";
import {
  deliver,
  deliverySyncs,
  ensureMaildir,
  type DeliveredMessage,
  type DeliverOptions,
  type DeliverySyncs,
} from "./maildir.js";
import { MaildirIndex, type IndexEntry } from "./maildir-index.js";
import { extractCodes, extractLinks } from "./message-extracts.js";
import { arrivalMicros, messageFlags } from "./message-name.js";
import { matchesSearch, parseSearch, searchesBodyText, type BodyEntry, type SearchQuery } from "./message-search.js";
import { RecipientDeletions } from "./recipient-deletions.js";
import { pruneMargin } from "./retention.js";
import { SummaryFile } from "./summary-file.js";
import { bareAddress, isAddressedTo, recipientsOf } from "./recipients.js";
import { parseTraceHeaders, traceSessionId } from "./trace-headers.js";
import type { AttachmentInfo, Envelope, MessagePage, MessageSummary, ParsedMessage } from "./message-schemas.js";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
/** Summaries are read this many files at a time when a filter needs them all. */
const SUMMARY_READ_CONCURRENCY = 64;
/** Where earlier porthost versions kept envelopes as JSON files; they now live in the messages. */
const LEGACY_ENVELOPE_DIR = "porthost-envelopes";
/**
 * Files a prune unlinks at once. A whole chunk goes to libuv's threads together: two at a time
 * waited behind the deliveries' fsyncs for every pair, and under 100 concurrent sessions the
 * prune fell behind (2,190 messages against a limit of 300 in a test).
 */
const PRUNE_CHUNK = 64;

export interface MailStoreOptions {
  /**
   * Retention (PORTHOST_MAIL_MAX): once a delivery takes the Maildir past it by more than
   * pruneMargin(maxMessages), the oldest messages beyond it are deleted, in the background.
   */
  readonly maxMessages?: number;
  /** Follow other processes' deliveries and deletions with fs.watch (default true). */
  readonly watch?: boolean;
  /** Told when pruning fails (it runs after a delivery is answered, so nothing else could). */
  readonly onPruneError?: (error: unknown) => void;
}

export interface ListOptions {
  /** Page size, 1 to MAX_PAGE_SIZE (default DEFAULT_PAGE_SIZE). */
  readonly limit?: number;
  /** `nextCursor` of the previous page: the list goes on after that message. */
  readonly cursor?: string;
  /**
   * A search in Mailpit's syntax (see message-search.ts): words found in the headers, the
   * envelope and the bodies, and qualifiers. A string is parsed (SearchSyntaxError when it cannot be).
   */
  readonly query?: string | SearchQuery;
  /** Skip this many matches first (Mailpit's start); with a cursor, after the cursor. */
  readonly start?: number;
}

/** A page of a search: the matches and how many match in all, and of those how many are unread. */
export interface SearchPage extends MessagePage {
  readonly unread: number;
}

export interface AllOptions {
  /**
   * Only the messages for this address (see isAddressedTo) that it has not deleted
   * (deleteFor); unset: every message.
   */
  readonly recipient?: string;
}

export interface AttachmentContent {
  readonly info: AttachmentInfo;
  readonly content: Buffer;
}

export interface RawMessage {
  readonly size: number;
  /** The file's bytes, as stored; the caller must read or destroy it. */
  readonly stream: Readable;
}

type StoredSummary = Omit<MessageSummary, "flags">;

interface CachedSummary {
  readonly summary: StoredSummary;
}

function cachedSummary(summary: StoredSummary): CachedSummary {
  return { summary };
}

function attachmentInfo(attachment: Attachment, index: number): AttachmentInfo {
  return {
    index,
    filename: attachment.filename ?? null,
    contentType: attachment.contentType,
    size: attachment.size,
    contentId: attachment.cid ?? null,
    disposition: attachment.contentDisposition ?? null,
    checksum: attachment.checksum,
  };
}

/**
 * porthost's mail: a Maildir on disk (the truth) and an index of it in memory. The SMTP
 * service delivers through it; the web service, POP3 and the CLI read through it, each in
 * its own process, and each sees what the others did (see MaildirIndex).
 */
export class MailStore {
  private readonly summaries = new Map<string, CachedSummary>();
  private readonly syncs: DeliverySyncs;
  private readonly deletions: RecipientDeletions;
  private readonly summaryFile: SummaryFile<StoredSummary>;
  /** The summary file read into `summaries`: once, when every summary is first needed. */
  private summaryFileRead: Promise<void> | undefined;
  private pruning: Promise<void> = Promise.resolve();
  private pruneRunning = false;
  /** The bodies as search reads them, made from each message once. */
  private readonly bodies: BodyIndex;

  private constructor(
    readonly root: string,
    private readonly index: MaildirIndex,
    private readonly options: MailStoreOptions,
  ) {
    this.syncs = deliverySyncs(root);
    this.deletions = new RecipientDeletions(root);
    this.summaryFile = new SummaryFile(root);
    this.bodies = new BodyIndex(root, (id) => this.parseFile(id));
  }

  /** Opens (creating if needed) the Maildir at `root` and indexes it. */
  static async open(root: string, options: MailStoreOptions = {}): Promise<MailStore> {
    await ensureMaildir(root);
    await rm(path.join(root, LEGACY_ENVELOPE_DIR), { recursive: true, force: true });
    const index = new MaildirIndex(root, { watch: options.watch ?? true });
    await index.open();
    return new MailStore(root, index, options);
  }

  /**
   * Delivers one message durably (see `deliver`). When the Maildir has grown past
   * `maxMessages` by its margin, a prune starts on a later turn of the event loop, after this
   * delivery is answered; one prune at a time. Only when deliveries outrun it, past twice the
   * margin, does a delivery wait for the prune before it is answered: that is what holds the
   * Maildir within the limit, its two margins and the deliveries already under way, however
   * busy the machine (a sender is slowed, not a message lost).
   */
  async deliver(source: Readable, options: Omit<DeliverOptions, "syncs"> = {}): Promise<DeliveredMessage> {
    const delivered = await deliver(this.root, source, { ...options, syncs: this.syncs });
    this.index.upsert(delivered.id, "new", delivered.id);
    const max = this.options.maxMessages;
    if (max === undefined) return delivered;
    const margin = pruneMargin(max);
    if (!this.pruneRunning && this.index.size > max + margin) {
      this.pruneRunning = true;
      this.pruning = new Promise((resolve) => setImmediate(resolve))
        .then(() => this.prune(max))
        .catch((error: unknown) => this.options.onPruneError?.(error))
        .finally(() => {
          this.pruneRunning = false;
        });
    }
    if (this.index.size > max + 2 * margin) await this.pruning;
    return delivered;
  }

  /** Resolves when pruning started by earlier deliveries is done. */
  pruned(): Promise<void> {
    return this.pruning;
  }

  /** How many messages the Maildir holds now. */
  async count(): Promise<number> {
    await this.index.refresh();
    return this.index.size;
  }

  /**
   * A page of stored mail, newest first, matching `options.query` when given: `limit` matches
   * after the cursor (or after the first `start`); `total` and `unread` count every match.
   */
  async list(options: ListOptions = {}): Promise<SearchPage> {
    await this.index.refresh();
    const limit = Math.min(Math.max(Math.trunc(options.limit ?? DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE);
    const query = typeof options.query === "string" ? parseSearch(options.query) : options.query;
    const filtered = query !== undefined && query.terms.length > 0;
    if (filtered) await this.loadAllSummaries();
    const body = query?.needsBody
      ? await this.bodyLookup(
          this.index.entries().map((e) => e.id),
          query,
        )
      : undefined;
    const picked: IndexEntry[] = [];
    let skip = Math.max(0, Math.trunc(options.start ?? 0));
    const cursor = options.cursor;
    const cursorKey = cursor === undefined ? 0 : arrivalMicros(cursor);
    let more = false;
    let total = 0;
    let unread = 0;
    for (const entry of this.index.newestFirst()) {
      const flags = messageFlags(entry.name);
      if (filtered) {
        const cached = this.summaries.get(entry.id);
        if (!cached || !matchesSearch({ summary: cached.summary, flags, body: body?.(entry.id) }, query)) continue;
      }
      total++;
      if (!flags.includes("S")) unread++;
      // Past the cursor: older than the message it names, whether or not that one is still there.
      if (cursor !== undefined && (entry.key > cursorKey || (entry.key === cursorKey && entry.id >= cursor))) continue;
      if (skip > 0) skip--;
      else if (picked.length < limit) picked.push(entry);
      else more = true;
    }
    const page: MessageSummary[] = [];
    for (const entry of picked) {
      const summary = await this.summary(entry.id);
      if (summary) page.push(summary);
      else {
        // Deleted while the page was read (a prune's batch, say): no longer counted either.
        total--;
        if (!messageFlags(entry.name).includes("S")) unread--;
      }
    }
    const last = page.at(-1);
    return { messages: page, total, unread, nextCursor: more && last ? last.id : null };
  }

  /** Whether a search query matches one message; undefined when there is no such message. */
  async matches(id: string, query: SearchQuery): Promise<MessageSummary | undefined> {
    const summary = await this.summary(id);
    if (!summary) return undefined;
    const body = query.needsBody ? (await this.bodyLookup([id], query))(id) : undefined;
    return matchesSearch({ summary, flags: summary.flags, body }, query) ? summary : undefined;
  }

  /** The first words of a message's text (Mailpit's Snippet) and its count of attachments that are not inline. */
  async bodySummary(id: string): Promise<{ snippet: string; attachments: number } | undefined> {
    await this.bodies.ensure([id], (known) => this.index.get(known) !== undefined);
    return this.bodies.get(id);
  }

  /** How many messages are not marked seen (no S flag). */
  async unreadCount(): Promise<number> {
    await this.index.refresh();
    let unread = 0;
    for (const entry of this.index.entries()) if (!messageFlags(entry.name).includes("S")) unread++;
    return unread;
  }

  /**
   * Calls `listener` with the id of each message that arrives from now on, whichever process
   * stored it (see MaildirIndex.onArrival); returns the function that stops it.
   */
  onArrival(listener: (id: string) => void): () => void {
    return this.index.onArrival((entry) => listener(entry.id));
  }

  /**
   * Calls `listener` with the id of each message that leaves the Maildir from now on, whichever
   * process deleted it (web, POP3, porthost mail delete, pruning); returns the function that stops it.
   */
  onRemoval(listener: (id: string) => void): () => void {
    return this.index.onRemoval((entry) => listener(entry.id));
  }

  /**
   * Marks a message read or unread the Maildir way: it moves to cur/ with the S (seen) flag in
   * `:2,<flags>`, which mutt, Dovecot and Python's mailbox read. False when there is no such message.
   */
  async setSeen(id: string, seen: boolean): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const entry = attempt === 0 ? await this.locate(id) : (await this.index.refresh(), this.index.get(id));
      if (!entry) return false;
      const flags = new Set(messageFlags(entry.name));
      if (seen) flags.add("S");
      else flags.delete("S");
      const name = `${id}:2,${[...flags].sort().join("")}`;
      if (entry.dir === "cur" && entry.name === name) return true;
      if (entry.dir === "new" && !seen) return true;
      try {
        await renamePath(path.join(this.root, entry.dir, entry.name), path.join(this.root, "cur", name));
        this.index.upsert(id, "cur", name);
        return true;
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
    }
    return false;
  }

  /**
   * Every message, oldest first, as one snapshot: the order POP3 numbers a maildrop in.
   * Messages deleted while it is being read are left out.
   */
  async all(options: AllOptions = {}): Promise<MessageSummary[]> {
    await this.index.refresh();
    await this.loadAllSummaries();
    const deleted = options.recipient === undefined ? undefined : await this.deletions.deletedBy(options.recipient);
    const messages: MessageSummary[] = [];
    for (const entry of [...this.index.entries()]) {
      const cached = this.summaries.get(entry.id);
      if (!cached) continue;
      const summary = { ...cached.summary, flags: messageFlags(entry.name) };
      if (options.recipient === undefined) messages.push(summary);
      else if (isAddressedTo(summary, options.recipient) && !deleted?.has(summary.id)) messages.push(summary);
    }
    return messages;
  }

  /** One message's summary, or undefined when there is no such message. */
  async summary(id: string): Promise<MessageSummary | undefined> {
    const entry = await this.locate(id);
    if (!entry) return undefined;
    const cached = this.summaries.get(id) ?? (await this.loadSummary(entry));
    return cached && { ...cached.summary, flags: messageFlags(entry.name) };
  }

  /** The message parsed with mailparser: headers, text, HTML and attachment metadata. */
  async get(id: string): Promise<ParsedMessage | undefined> {
    const parsed = await this.parse(id);
    if (!parsed) return undefined;
    const { summary, mail } = parsed;
    return {
      summary,
      headers: mail.headerLines.map(({ key, line }) => {
        const colon = line.indexOf(":");
        const name = colon === -1 ? key : line.slice(0, colon);
        return { name, value: decodeHeader(line.slice(colon + 1).replace(/\r?\n[ \t]+/g, " ")) };
      }),
      text: mail.text ?? null,
      html: mail.html === false ? null : (mail.html ?? null),
      attachments: mail.attachments.map(attachmentInfo),
      links: extractLinks(mail.text ?? null, mail.html === false ? null : (mail.html ?? null)),
      codes: extractCodes(mail.text ?? null, mail.html === false ? null : (mail.html ?? null)),
    };
  }

  /** The part a `cid:` URL in the HTML names (Content-ID without angle brackets), with its bytes. */
  async partByContentId(id: string, contentId: string): Promise<AttachmentContent | undefined> {
    const parsed = await this.parse(id);
    if (!parsed) return undefined;
    const index = parsed.mail.attachments.findIndex((a) => a.cid !== undefined && a.cid === contentId);
    const attachment = parsed.mail.attachments[index];
    return attachment && { info: attachmentInfo(attachment, index), content: attachment.content };
  }

  /** The stored bytes of a message, Received: header included. */
  async raw(id: string): Promise<Buffer | undefined> {
    return this.withFile(id, (file) => readFile(file));
  }

  /** The stored bytes as a stream with their size, for large messages and POP3's RETR. */
  async openRaw(id: string): Promise<RawMessage | undefined> {
    return this.withFile(id, async (file) => {
      const handle = await open(file, "r");
      const { size } = await handle.stat();
      return { size, stream: handle.createReadStream() };
    });
  }

  /** One attachment's decoded bytes and metadata, by its `index` in `get(id).attachments`. */
  async attachment(id: string, index: number): Promise<AttachmentContent | undefined> {
    const parsed = await this.parse(id);
    const attachment = parsed?.mail.attachments[index];
    if (!attachment) return undefined;
    return { info: attachmentInfo(attachment, index), content: attachment.content };
  }

  /** The SMTP envelope of a message: null when it has none, undefined when there is no such message. */
  async envelope(id: string): Promise<Envelope | null | undefined> {
    return (await this.summary(id))?.envelope;
  }

  /** Deletes a message; false when there was no such message. */
  async delete(id: string): Promise<boolean> {
    const removed = await this.withFile(id, async (file) => {
      await unlink(file);
      return true;
    });
    await this.deletions.forget(id);
    if (!removed) return false;
    this.forget(id);
    return true;
  }

  /**
   * Deletes a message from one recipient's view only (one maildrop per recipient): the file
   * stays for its other recipients and goes when the last of them deletes it. A message not
   * addressed to `recipient` is left alone. Returns false when there is no such message.
   */
  async deleteFor(id: string, recipient: string): Promise<boolean> {
    const summary = await this.summary(id);
    if (!summary) return false;
    const everyone = recipientsOf(summary);
    const who = bareAddress(recipient);
    if (!everyone.has(who)) return true;
    if (everyone.size === 1) return this.delete(id);
    const deletedBy = await this.deletions.record(id, who);
    if ([...everyone].every((address) => deletedBy.has(address))) await this.delete(id);
    return true;
  }

  /** Deletes every message; returns how many. */
  async deleteAll(): Promise<number> {
    await this.index.refresh();
    const ids = this.index.entries().map((entry) => entry.id);
    let deleted = 0;
    for (let i = 0; i < ids.length; i += SUMMARY_READ_CONCURRENCY) {
      const batch = await Promise.all(ids.slice(i, i + SUMMARY_READ_CONCURRENCY).map((id) => this.delete(id)));
      deleted += batch.filter(Boolean).length;
    }
    return deleted;
  }

  async close(): Promise<void> {
    await this.pruning;
    await this.summaryFile.flush();
    await this.bodies.flush();
    this.index.close();
    await this.syncs.newDir.close();
  }

  /**
   * Deletes the oldest messages down to `max`, a few files at a time. Each leaves this index as
   * its file goes; other processes (web, POP3) see each unlink through their own index, as they
   * see any delete, so a reader never lists a message whose file is gone for longer than a refresh.
   */
  private async prune(max: number): Promise<void> {
    // The index is current (the watcher, or a refresh on each read); a message another process
    // deleted meanwhile is found missing at its unlink, which refreshes the index, so the loop
    // stops at the limit. Reading the directories first would wait in libuv's threads behind the
    // deliveries' fsyncs while a hundred more messages arrive.
    const withRecords = this.deletions.recorded();
    while (this.index.size > max) {
      const oldest = this.index.entries().slice(0, Math.min(PRUNE_CHUNK, this.index.size - max));
      await Promise.all(oldest.map((entry) => this.unlinkPruned(entry, withRecords.has(entry.id))));
      this.forgetAll(oldest.map((entry) => entry.id));
    }
  }

  /** Unlinks one message where the index last saw it; one that another process moved is found again. */
  private async unlinkPruned(entry: IndexEntry, hasRecords: boolean): Promise<void> {
    try {
      await unlink(path.join(this.root, entry.dir, entry.name));
    } catch (error) {
      if (!isMissing(error)) throw error;
      await this.withFile(entry.id, (file) => unlink(file));
    }
    if (hasRecords) await this.deletions.forget(entry.id);
  }

  /** Drops messages that are gone: from the index in one pass, however many. */
  private forgetAll(ids: readonly string[]): void {
    this.index.removeAll(ids);
    for (const id of ids) {
      this.summaries.delete(id);
      this.bodies.forget(id);
    }
  }

  private forget(id: string): void {
    this.index.remove(id);
    this.summaries.delete(id);
    this.bodies.forget(id);
  }

  /** The index entry of a message, refreshing the index once if it is not known. */
  private async locate(id: string): Promise<IndexEntry | undefined> {
    const known = this.index.get(id);
    if (known) return known;
    await this.index.refresh();
    return this.index.get(id);
  }

  /** Runs `use` on the message's current file; retries once if another process moved it. */
  private async withFile<T>(id: string, use: (file: string) => Promise<T>): Promise<T | undefined> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const entry = attempt === 0 ? await this.locate(id) : (await this.index.refresh(), this.index.get(id));
      if (!entry) return undefined;
      try {
        return await use(path.join(this.root, entry.dir, entry.name));
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
    }
    await this.index.refresh();
    return undefined;
  }

  private async parse(id: string): Promise<{ summary: MessageSummary; mail: ParsedMail } | undefined> {
    const summary = await this.summary(id);
    if (!summary) return undefined;
    const mail = await this.parseFile(id);
    if (mail) this.bodies.remember(id, mail);
    return mail && { summary, mail };
  }

  private parseFile(id: string): Promise<ParsedMail | undefined> {
    return this.withFile(id, (file) =>
      simpleParser(createReadStream(file), { skipTextToHtml: true, skipImageLinks: true }),
    );
  }

  /**
   * The body entries of `ids` as `query` reads them: the index's, and for a search for words the
   * whole text of a message the index cut short (BodyIndex.wholeTexts).
   */
  private async bodyLookup(ids: readonly string[], query: SearchQuery): Promise<(id: string) => BodyEntry | undefined> {
    const holds = (id: string): boolean => this.index.get(id) !== undefined;
    if (!searchesBodyText(query)) {
      await this.bodies.ensure(ids, holds);
      return (id) => this.bodies.get(id);
    }
    const whole = await this.bodies.wholeTexts(ids, holds);
    return (id) => whole.get(id) ?? this.bodies.get(id);
  }

  private async loadSummary(entry: IndexEntry): Promise<CachedSummary | undefined> {
    const loaded = await this.withFile(entry.id, async (file) => {
      const handle = await open(file, "r");
      try {
        const { size } = await handle.stat();
        return { size, text: await readHeaderText(handle, size) };
      } finally {
        await handle.close();
      }
    });
    if (!loaded) return undefined;
    const headers = summarizeHeaders(loaded.text);
    const envelope = parseTraceHeaders(loaded.text, entry.id);
    const receivedAt = envelope?.receivedAt ?? new Date(entry.key / 1000).toISOString();
    const sessionId = envelope ? traceSessionId(loaded.text) : null;
    const cached = cachedSummary({ id: entry.id, receivedAt, size: loaded.size, envelope, sessionId, ...headers });
    if (this.index.get(entry.id)) {
      this.summaries.set(entry.id, cached);
      this.summaryFile.add(cached.summary);
    }
    return cached;
  }

  private async loadAllSummaries(): Promise<void> {
    this.summaryFileRead ??= this.summaryFile
      .read((id) => this.index.get(id) !== undefined)
      .then((stored) => {
        for (const summary of stored) {
          if (!this.summaries.has(summary.id)) this.summaries.set(summary.id, cachedSummary(summary));
        }
      });
    await this.summaryFileRead;
    const missing = this.index.entries().filter((entry) => !this.summaries.has(entry.id));
    for (let i = 0; i < missing.length; i += SUMMARY_READ_CONCURRENCY) {
      await Promise.all(missing.slice(i, i + SUMMARY_READ_CONCURRENCY).map((entry) => this.loadSummary(entry)));
    }
  }
}
