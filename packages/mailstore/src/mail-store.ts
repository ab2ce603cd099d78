import { createReadStream } from "node:fs";
import { open, readFile, rm, unlink } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { simpleParser, type Attachment, type ParsedMail } from "mailparser";
import { isMissing } from "./fd-io.js";
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
import { messageFlags } from "./message-name.js";
import { RecipientDeletions } from "./recipient-deletions.js";
import { SummaryFile } from "./summary-file.js";
import { bareAddress, isAddressedTo, recipientsOf } from "./recipients.js";
import { parseTraceHeaders } from "./trace-headers.js";
import type { AttachmentInfo, Envelope, MessagePage, MessageSummary, ParsedMessage } from "./message-schemas.js";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
/** Summaries are read this many files at a time when a filter needs them all. */
const SUMMARY_READ_CONCURRENCY = 64;
/** Where earlier porthost versions kept envelopes as JSON files; they now live in the messages. */
const LEGACY_ENVELOPE_DIR = "porthost-envelopes";

export interface MailStoreOptions {
  /** Retention (PORTHOST_MAIL_MAX): after a delivery, the oldest messages beyond it are deleted. */
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
  /** Case-insensitive text to find in From, To, Cc or Subject. */
  readonly query?: string;
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
  /** From, To, Cc and Subject lowercased, for the text filter. */
  readonly haystack: string;
}

function cachedSummary(summary: StoredSummary): CachedSummary {
  const haystack = [summary.from, ...summary.to, ...summary.cc, summary.subject].join("\n").toLowerCase();
  return { summary, haystack };
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

  private constructor(
    readonly root: string,
    private readonly index: MaildirIndex,
    private readonly options: MailStoreOptions,
  ) {
    this.syncs = deliverySyncs(root);
    this.deletions = new RecipientDeletions(root);
    this.summaryFile = new SummaryFile(root);
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
   * Delivers one message durably (see `deliver`). Pruning beyond `maxMessages` follows in
   * the background, one prune at a time, so it never delays the answer to the client.
   */
  async deliver(source: Readable, options: Omit<DeliverOptions, "syncs"> = {}): Promise<DeliveredMessage> {
    const delivered = await deliver(this.root, source, { ...options, syncs: this.syncs });
    this.index.upsert(delivered.id, "new", delivered.id);
    const max = this.options.maxMessages;
    if (max !== undefined && this.index.size > max) {
      this.pruning = this.pruning
        .then(() => this.prune(max))
        .catch((error: unknown) => this.options.onPruneError?.(error));
    }
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

  async list(options: ListOptions = {}): Promise<MessagePage> {
    await this.index.refresh();
    const limit = Math.min(Math.max(Math.trunc(options.limit ?? DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE);
    const query = options.query?.trim().toLowerCase() ?? "";
    if (query !== "") await this.loadAllSummaries();
    const page: MessageSummary[] = [];
    let more = false;
    for (const entry of this.index.newestFirst(options.cursor)) {
      if (query !== "" && !this.summaries.get(entry.id)?.haystack.includes(query)) continue;
      if (page.length === limit) {
        more = true;
        break;
      }
      const summary = await this.summary(entry.id);
      if (summary) page.push(summary);
    }
    const total = query === "" ? this.index.size : this.countMatches(query);
    const last = page.at(-1);
    return { messages: page, total, nextCursor: more && last ? last.id : null };
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
    };
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
    this.index.close();
    await this.syncs.newDir.close();
  }

  private async prune(max: number): Promise<void> {
    if (this.index.size <= max) return;
    // Others may have deleted messages already; count what is really there before pruning.
    await this.index.refresh();
    while (this.index.size > max) {
      const oldest = this.index.oldest();
      if (!oldest) break;
      await unlink(path.join(this.root, oldest.dir, oldest.name)).catch((error: unknown) => {
        if (!isMissing(error)) throw error;
      });
      await this.deletions.forget(oldest.id);
      this.forget(oldest.id);
    }
  }

  private forget(id: string): void {
    this.index.remove(id);
    this.summaries.delete(id);
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
    const mail = await this.withFile(id, (file) =>
      simpleParser(createReadStream(file), { skipTextToHtml: true, skipImageLinks: true }),
    );
    return mail && { summary, mail };
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
    const cached = cachedSummary({ id: entry.id, receivedAt, size: loaded.size, envelope, ...headers });
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

  private countMatches(query: string): number {
    let total = 0;
    for (const entry of this.index.entries()) {
      if (this.summaries.get(entry.id)?.haystack.includes(query)) total++;
    }
    return total;
  }
}
