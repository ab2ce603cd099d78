import { randomBytes } from "node:crypto";
import { constants as fsConstants } from "node:fs";
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
/** Random bytes are drawn this many at a time: one getrandom call serves a thousand names. */
const RANDOM_POOL_BYTES = 6 * 1024;
let randomPool = Buffer.alloc(0);
let randomOffset = 0;

function randomHex(bytes: number): string {
  if (randomOffset + bytes > randomPool.length) {
    randomPool = randomBytes(RANDOM_POOL_BYTES);
    randomOffset = 0;
  }
  randomOffset += bytes;
  return randomPool.toString("hex", randomOffset - bytes, randomOffset);
}

/** A Maildir unique name: time, then microseconds, pid, a counter and randomness, then the host. */
export function uniqueName(now: Date = new Date(), host: string = HOST): string {
  const seconds = Math.floor(now.getTime() / 1000);
  const micros = (now.getTime() % 1000) * 1000;
  deliveries += 1;
  return `${seconds}.M${micros}P${process.pid}Q${deliveries}R${randomHex(6)}.${host}`;
}

/** Makes the Maildir's tmp/, new/, cur/ and the envelope directory if they are missing. */
export async function ensureMaildir(root: string): Promise<void> {
  for (const sub of [...MAILDIR_SUBDIRS, ENVELOPE_DIR]) {
    await mkdir(path.join(root, sub), { recursive: true, mode: 0o700 });
  }
}

/** Bytes are gathered up to this size before one write, so small chunks do not cost a syscall each. */
const WRITE_BATCH_BYTES = 64 * 1024; // 64 KiB

const { O_WRONLY, O_CREAT, O_EXCL, O_DSYNC } = fsConstants;
/** A new file that no other delivery can have made. */
const CREATE_NEW = O_WRONLY | O_CREAT | O_EXCL;
/** The same with every write durable when it returns, like write then fdatasync, in one call. */
const CREATE_NEW_DSYNC = CREATE_NEW | O_DSYNC;

function joined(batch: readonly Buffer[], length: number): Buffer {
  return batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch, length);
}

/** A message written to tmp/ and durable there: its descriptor is still open. */
interface WrittenMessage {
  readonly fd: number;
  readonly size: number;
}

/**
 * Writes a stream to a new file made durable (data and size), awaiting each write so
 * memory stays bounded (backpressure). A message that fits one batch (most do) costs one
 * open with O_DSYNC and one write; a longer one is written batch by batch and fdatasynced.
 * Once `refuse` returns an error, nothing more is buffered or written but the stream is
 * still read to its end (an SMTP client sends the whole message before it reads a reply),
 * then it throws. `opened` is told the descriptor as soon as there is one, for cleanup.
 */
async function writeMessage(
  file: string,
  source: Readable,
  prefix: Buffer | undefined,
  refuse: (() => Error | undefined) | undefined,
  opened: (fd: number) => void,
): Promise<WrittenMessage> {
  let batch: Buffer[] = prefix ? [prefix] : [];
  let batched = prefix?.length ?? 0;
  let written = 0;
  let fd: number | undefined;
  let refusal: Error | undefined;
  for await (const chunk of source) {
    if (refusal) continue;
    refusal = refuse?.();
    if (refusal) {
      batch = [];
      batched = 0;
      continue;
    }
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    batch.push(buffer);
    batched += buffer.length;
    if (batched >= WRITE_BATCH_BYTES) {
      if (fd === undefined) opened((fd = await openFd(file, CREATE_NEW, 0o600)));
      await writeFully(fd, joined(batch, batched));
      written += batched;
      batch = [];
      batched = 0;
    }
  }
  refusal ??= refuse?.();
  if (refusal) throw refusal;
  if (fd === undefined) {
    opened((fd = await openFd(file, CREATE_NEW_DSYNC, 0o600)));
    await writeFully(fd, joined(batch, batched));
  } else {
    if (batched > 0) await writeFully(fd, joined(batch, batched));
    await fdatasyncFd(fd);
  }
  return { fd, size: written + batched };
}

/** Writes a new file durably (O_DSYNC) and closes it. */
async function writeDurably(file: string, content: Buffer): Promise<void> {
  const fd = await openFd(file, CREATE_NEW_DSYNC, 0o600);
  try {
    await writeFully(fd, content);
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
 * Delivers one message the Maildir way: written to tmp/ and made durable, renamed into new/,
 * and the directory fsynced, so a message that resolves is durably on disk and no reader
 * ever sees a half-written file. The envelope is written durably under its final name while
 * the message streams in, and the message is renamed only once both are durable: readers
 * look for an envelope only beside a message, so a visible message always has its envelope
 * complete, and an envelope without a message is ignored. The message's descriptor is closed
 * while new/ is fsynced: closing adds nothing to durability, only a wait.
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
  let committed = false;
  const envelopeWritten = envelope && writeDurably(envelopeFile, Buffer.from(JSON.stringify(envelope)));
  // Awaited below; until then a failure must not count as unhandled.
  envelopeWritten?.catch(() => undefined);
  try {
    const message = await writeMessage(tmpPath, source, options.prefix, options.refuse, (opened) => (fd = opened));
    await envelopeWritten;
    await renamePath(tmpPath, newPath);
    committed = true;
    const written = message.fd;
    fd = undefined;
    await Promise.all([syncs.newDir.sync(), envelope && syncs.envelopeDir.sync(), closeFd(written)]);
    return { id, path: newPath, size: message.size };
  } finally {
    source.off("error", noteError);
    if (fd !== undefined) await closeFd(fd).catch(() => undefined);
    if (!committed) {
      await unlinkPath(tmpPath).catch(() => undefined);
      if (envelopeWritten) {
        await envelopeWritten.catch(() => undefined);
        await unlinkPath(envelopeFile).catch(() => undefined);
      }
    }
    if (!options.syncs) await Promise.all([syncs.newDir.close(), syncs.envelopeDir.close()]);
  }
}

/** The Maildir inside porthost's data directory (PORTHOST_DATA_DIR). */
export function maildirRoot(dataDir: string): string {
  return path.join(dataDir, "Maildir");
}
