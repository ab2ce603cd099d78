import { createHash } from "node:crypto";
import type { MailStore } from "@porthost/mailstore";
import { recipientView } from "./recipient-view.js";
import { WireEncoder } from "./wire-encoder.js";

/** A message as one session sees it: numbered from 1 in arrival order when the session logged in. */
export interface MaildropMessage {
  readonly number: number;
  /** The Maildir unique name, the store's id. */
  readonly id: string;
  readonly uid: string;
  /** Octets RETR sends before byte-stuffing (CRLF line ends): what LIST and STAT say. */
  readonly size: number;
  deleted: boolean;
}

/** RFC 1939 7: a unique-id is 1 to 70 characters from 0x21 to 0x7E. */
const UID_SHAPE = /^[\x21-\x7e]{1,70}$/;

/**
 * The UIDL of a message: its Maildir unique name, which no rename and no restart changes;
 * a name that does not fit POP3's rules (too long, spaces, non-ASCII) is replaced by its
 * SHA-256, just as stable.
 */
export function uidOf(id: string): string {
  return UID_SHAPE.test(id) ? id : `sha256-${createHash("sha256").update(id).digest("base64url")}`;
}

/** Sizes cached across sessions; more entries than this and the oldest are forgotten. */
export const MAX_CACHED_SIZES = 100_000;

/**
 * POP3 sizes of messages, by id (and recipient, whose view of a message differs: see
 * recipient-view.ts). A Maildir file never changes once delivered, so its size is counted once
 * (a read of the file through the wire encoder) and reused by every session.
 */
export class WireSizes {
  private readonly sizes = new Map<string, number>();

  constructor(private readonly store: MailStore) {}

  /** The size, or undefined when the message is gone. */
  async of(id: string, recipient?: string): Promise<number | undefined> {
    const key = recipient === undefined ? id : `${id}\n${recipient}`;
    const known = this.sizes.get(key);
    if (known !== undefined) return known;
    const raw = await this.store.openRaw(id);
    if (!raw) return undefined;
    const encoder = new WireEncoder({ stuff: false });
    let size = 0;
    for await (const chunk of recipientView(raw.stream as AsyncIterable<Buffer>, recipient)) {
      for (const piece of encoder.push(chunk)) size += piece.length;
    }
    for (const piece of encoder.finish()) size += piece.length;
    if (this.sizes.size >= MAX_CACHED_SIZES) this.sizes.delete(this.sizes.keys().next().value as string);
    this.sizes.set(key, size);
    return size;
  }
}

/** How many message sizes are counted at once when a session opens its maildrop. */
const SIZE_CONCURRENCY = 16;

/**
 * The messages of one session, fixed at login (RFC 1939: mail arriving later waits for the
 * next session), with the deletion marks that only QUIT carries out.
 */
export class Maildrop {
  private constructor(
    private readonly store: MailStore,
    private readonly messages: readonly MaildropMessage[],
    /** Whose maildrop this is (one per recipient): whose view of each message it shows. Undefined: the shared one. */
    readonly recipient: string | undefined,
  ) {}

  /** Every message in the store, or only those for `recipient` (and not deleted by it), oldest first. */
  static async open(store: MailStore, sizes: WireSizes, recipient: string | undefined): Promise<Maildrop> {
    const summaries = await store.all(recipient === undefined ? {} : { recipient });
    const counted: (number | undefined)[] = [];
    for (let i = 0; i < summaries.length; i += SIZE_CONCURRENCY) {
      const batch = summaries.slice(i, i + SIZE_CONCURRENCY);
      counted.push(...(await Promise.all(batch.map((summary) => sizes.of(summary.id, recipient)))));
    }
    const messages: MaildropMessage[] = [];
    summaries.forEach((summary, index) => {
      const size = counted[index];
      if (size === undefined) return;
      messages.push({ number: messages.length + 1, id: summary.id, uid: uidOf(summary.id), size, deleted: false });
    });
    return new Maildrop(store, messages, recipient);
  }

  /** The highest message number: numbers never shift within a session, even after DELE. */
  get highest(): number {
    return this.messages.length;
  }

  message(number: number): MaildropMessage | undefined {
    return this.messages[number - 1];
  }

  /** The messages not marked deleted, in order. */
  present(): MaildropMessage[] {
    return this.messages.filter((m) => !m.deleted);
  }

  /** STAT's two numbers: messages not marked deleted and their octets. */
  totals(): { count: number; octets: number } {
    const present = this.present();
    return { count: present.length, octets: present.reduce((sum, m) => sum + m.size, 0) };
  }

  markedCount(): number {
    return this.messages.length - this.present().length;
  }

  /** RSET: unmark every message. */
  unmarkAll(): void {
    for (const message of this.messages) message.deleted = false;
  }

  /**
   * How many messages the maildrop holds now, on disk: after this session's deletions and
   * whatever other programs (the web, the CLI, SMTP) did since login.
   */
  async remaining(): Promise<number> {
    if (this.recipient === undefined) return this.store.count();
    return (await this.store.all({ recipient: this.recipient })).length;
  }

  /**
   * The UPDATE state: removes what was marked. A message already gone counts as removed. In
   * one maildrop per recipient, a message with other recipients leaves this maildrop only.
   */
  async removeMarked(): Promise<{ removed: number; failed: number }> {
    let removed = 0;
    let failed = 0;
    for (const message of this.messages) {
      if (!message.deleted) continue;
      try {
        if (this.recipient === undefined) await this.store.delete(message.id);
        else await this.store.deleteFor(message.id, this.recipient);
        removed += 1;
      } catch {
        failed += 1;
      }
    }
    return { removed, failed };
  }
}
