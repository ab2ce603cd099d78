import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { DirectorySync } from "./directory-sync.js";
import { closeFd, fdatasyncFd, openFd, renamePath, unlinkPath, writeFully } from "./fd-io.js";
import { ENVELOPE_DIR, envelopePath, type Envelope } from "./envelope.js";

export const MAILDIR_SUBDIRS = ["tmp", "new", "cur"] as const;

export interface DeliveredMessage {
  /** The unique part of the file name: the message's id everywhere in porthost. */
  readonly id: string;
  /** The file in `new/`. */
  readonly path: string;
  readonly size: number;
}

let deliveries = 0;
/** The host part of unique names, read once (os.hostname() is a system call). */
const HOST = hostname().replace(/\//g, "\\057").replace(/:/g, "\\072");

/** A Maildir unique name: time, then microseconds, pid, a counter and randomness, then the host. */
export function uniqueName(now: Date = new Date(), host: string = HOST): string {
  const seconds = Math.floor(now.getTime() / 1000);
  const micros = (now.getTime() % 1000) * 1000;
  deliveries += 1;
  return `${seconds}.M${micros}P${process.pid}Q${deliveries}R${randomBytes(6).toString("hex")}.${host}`;
}

/** Makes the Maildir's tmp/, new/, cur/ and the envelope directory if they are missing. */
export async function ensureMaildir(root: string): Promise<void> {
  for (const sub of [...MAILDIR_SUBDIRS, ENVELOPE_DIR]) {
    await mkdir(path.join(root, sub), { recursive: true, mode: 0o700 });
  }
}

/** Bytes are gathered up to this size before one write, so small chunks do not cost a syscall each. */
const WRITE_BATCH_BYTES = 64 * 1024; // 64 KiB

/**
 * Writes a stream to a file, awaiting each write so memory stays bounded (backpressure),
 * and returns the bytes written. Once `refuse` returns an error, nothing more is written
 * but the stream is still read to its end (an SMTP client sends the whole message before
 * it reads a reply), then it throws.
 */
async function writeAll(
  fd: number,
  source: Readable,
  prefix: Buffer | undefined,
  refuse: (() => Error | undefined) | undefined,
): Promise<number> {
  let batch: Buffer[] = prefix ? [prefix] : [];
  let batched = prefix?.length ?? 0;
  let written = 0;
  let refusal: Error | undefined;
  for await (const chunk of source) {
    if (refusal) continue;
    refusal = refuse?.();
    if (refusal) {
      batch = [];
      continue;
    }
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    batch.push(buffer);
    batched += buffer.length;
    if (batched >= WRITE_BATCH_BYTES) {
      await writeFully(fd, Buffer.concat(batch, batched));
      written += batched;
      batch = [];
      batched = 0;
    }
  }
  refusal ??= refuse?.();
  if (refusal) throw refusal;
  if (batched > 0) await writeFully(fd, batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch, batched));
  return written + batched;
}

/** Writes a new file and fdatasyncs it. */
async function writeDurably(file: string, content: Buffer): Promise<void> {
  const fd = await openFd(file, "wx", 0o600);
  try {
    await writeFully(fd, content);
    await fdatasyncFd(fd);
  } finally {
    await closeFd(fd);
  }
}

/** The directories a delivery makes durable, shared by deliveries so their fsyncs coalesce. */
export interface DeliverySyncs {
  readonly newDir: DirectorySync;
  readonly envelopeDir: DirectorySync;
}

export function deliverySyncs(root: string): DeliverySyncs {
  return {
    newDir: new DirectorySync(path.join(root, "new")),
    envelopeDir: new DirectorySync(path.join(root, ENVELOPE_DIR)),
  };
}

export interface DeliverOptions {
  /** Bytes to write before the message (a Received: header). */
  readonly prefix?: Buffer;
  /**
   * Asked before each chunk and at the end: an error stops writing (the rest of the stream
   * is drained, not stored), removes the tmp file and rejects the delivery with it.
   */
  readonly refuse?: () => Error | undefined;
  /** Kept beside the message in the envelope directory, made durable with it. */
  readonly envelope?: Envelope;
  /** Directory fsyncs to share with other deliveries (MailStore passes its own). */
  readonly syncs?: DeliverySyncs;
}

/**
 * Delivers one message the Maildir way: written to tmp/, fsynced, renamed into new/, and the
 * directory fsynced, so a message that resolves is durably on disk and no reader ever sees
 * a half-written file. The envelope is written and fsynced under its final name before the
 * message is renamed: readers look for an envelope only beside a message, so a visible
 * message always has its envelope complete, and an envelope without a message is ignored.
 */
export async function deliver(root: string, source: Readable, options: DeliverOptions = {}): Promise<DeliveredMessage> {
  // A client may vanish before the first read; keep its error for the write loop to see.
  const noteError = (): void => undefined;
  source.on("error", noteError);
  const id = uniqueName();
  const tmpPath = path.join(root, "tmp", id);
  const newPath = path.join(root, "new", id);
  const envelope = options.envelope;
  const envelopeFile = envelopePath(root, id);
  const syncs = options.syncs ?? deliverySyncs(root);
  let fd: number | undefined;
  let envelopeStarted = false;
  let committed = false;
  try {
    fd = await openFd(tmpPath, "wx", 0o600);
    const size = await writeAll(fd, source, options.prefix, options.refuse);
    envelopeStarted = envelope !== undefined;
    // The two fsyncs run together so the file system can put them in one journal commit.
    await Promise.all([fdatasyncFd(fd), envelope && writeDurably(envelopeFile, Buffer.from(JSON.stringify(envelope)))]);
    const written = fd;
    fd = undefined;
    await closeFd(written);
    await renamePath(tmpPath, newPath);
    committed = true;
    await Promise.all([syncs.newDir.sync(), envelope && syncs.envelopeDir.sync()]);
    return { id, path: newPath, size };
  } finally {
    source.off("error", noteError);
    if (!committed) {
      if (fd !== undefined) await closeFd(fd).catch(() => undefined);
      await unlinkPath(tmpPath).catch(() => undefined);
      if (envelopeStarted) await unlinkPath(envelopeFile).catch(() => undefined);
    }
    if (!options.syncs) await Promise.all([syncs.newDir.close(), syncs.envelopeDir.close()]);
  }
}

/** The Maildir inside porthost's data directory (PORTHOST_DATA_DIR). */
export function maildirRoot(dataDir: string): string {
  return path.join(dataDir, "Maildir");
}
