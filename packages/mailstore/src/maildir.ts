import { randomBytes } from "node:crypto";
import { mkdir, open, rename, unlink, type FileHandle } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { DirectorySync } from "./directory-sync.js";
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

/** A Maildir unique name: time, then microseconds, pid, a counter and randomness, then the host. */
export function uniqueName(now: Date = new Date()): string {
  const seconds = Math.floor(now.getTime() / 1000);
  const micros = (now.getTime() % 1000) * 1000;
  deliveries += 1;
  const host = hostname().replace(/\//g, "\\057").replace(/:/g, "\\072");
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
 * Writes a stream to a file, awaiting each write so memory stays bounded (backpressure).
 * Once `refuse` returns an error, nothing more is written but the stream is still read to
 * its end (an SMTP client sends the whole message before it reads a reply), then it throws.
 */
async function writeAll(
  handle: FileHandle,
  source: Readable,
  prefix: Buffer | undefined,
  refuse: (() => Error | undefined) | undefined,
): Promise<void> {
  let batch: Buffer[] = prefix ? [prefix] : [];
  let batched = prefix?.length ?? 0;
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
      await handle.write(Buffer.concat(batch, batched));
      batch = [];
      batched = 0;
    }
  }
  refusal ??= refuse?.();
  if (refusal) throw refusal;
  if (batched > 0) await handle.write(Buffer.concat(batch, batched));
}

async function writeDurably(file: string, content: string): Promise<void> {
  const handle = await open(file, "wx", 0o600);
  try {
    await handle.writeFile(content);
    await handle.datasync();
  } finally {
    await handle.close();
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
 * a half-written file. The envelope is written the same way before the message is renamed.
 */
export async function deliver(root: string, source: Readable, options: DeliverOptions = {}): Promise<DeliveredMessage> {
  // A client may vanish before the first read; keep its error for the write loop to see.
  const noteError = (): void => undefined;
  source.on("error", noteError);
  const id = uniqueName();
  const tmpPath = path.join(root, "tmp", id);
  const newPath = path.join(root, "new", id);
  const envelopeTmp = path.join(root, "tmp", `${id}.envelope`);
  const envelopeFinal = envelopePath(root, id);
  const syncs = options.syncs ?? deliverySyncs(root);
  const handle = await open(tmpPath, "wx", 0o600);
  let handleOpen = true;
  let envelopeRenamed = false;
  let committed = false;
  try {
    await writeAll(handle, source, options.prefix, options.refuse);
    const envelope = options.envelope;
    // The two fsyncs run together so the file system can put them in one journal commit.
    await Promise.all([handle.datasync(), envelope && writeDurably(envelopeTmp, JSON.stringify(envelope))]);
    const { size } = await handle.stat();
    handleOpen = false;
    await handle.close();
    if (envelope) {
      await rename(envelopeTmp, envelopeFinal);
      envelopeRenamed = true;
    }
    await rename(tmpPath, newPath);
    committed = true;
    await Promise.all([syncs.newDir.sync(), envelope && syncs.envelopeDir.sync()]);
    return { id, path: newPath, size };
  } finally {
    source.off("error", noteError);
    if (!committed) {
      if (handleOpen) await handle.close().catch(() => undefined);
      await unlink(tmpPath).catch(() => undefined);
      if (options.envelope) await unlink(envelopeTmp).catch(() => undefined);
      if (envelopeRenamed) await unlink(envelopeFinal).catch(() => undefined);
    }
    if (!options.syncs) await Promise.all([syncs.newDir.close(), syncs.envelopeDir.close()]);
  }
}

/** The Maildir inside porthost's data directory (PORTHOST_DATA_DIR). */
export function maildirRoot(dataDir: string): string {
  return path.join(dataDir, "Maildir");
}
