import { randomBytes } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { DirectorySync } from "./directory-sync.js";
import { closeFd, fdatasyncFd, openFd, renamePath, unlinkPath, writeFully } from "./fd-io.js";
import type { Envelope } from "./message-schemas.js";
import { traceHeaders, type ReceivedBy } from "./trace-headers.js";

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

/** Makes the Maildir's tmp/, new/ and cur/ if they are missing. */
export async function ensureMaildir(root: string): Promise<void> {
  for (const sub of MAILDIR_SUBDIRS) {
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

/** The directory a delivery makes durable, shared by deliveries so their fsyncs coalesce. */
export interface DeliverySyncs {
  readonly newDir: DirectorySync;
}

export function deliverySyncs(root: string): DeliverySyncs {
  return { newDir: new DirectorySync(path.join(root, "new")) };
}

export interface DeliverOptions {
  /**
   * Asked before each chunk and at the end: an error stops writing (the rest of the stream
   * is drained, not stored), removes the tmp file and rejects the delivery with it.
   */
  readonly refuse?: () => Error | undefined;
  /**
   * Written at the top of the message as trace headers (Return-Path, Delivered-To, Received);
   * its time names the file.
   */
  readonly envelope?: Envelope;
  /** The server name and session id for the Received: header. */
  readonly receivedBy?: ReceivedBy;
  /** Directory fsyncs to share with other deliveries (MailStore passes its own). */
  readonly syncs?: DeliverySyncs;
}

/**
 * Delivers one message the Maildir way: written to tmp/ and made durable, renamed into new/,
 * and the directory fsynced, so a message that resolves is durably on disk and no reader
 * ever sees a half-written file. The envelope goes in the same file, as trace headers on
 * top, so one file is created and synced per message. The message's descriptor is closed
 * while new/ is fsynced: closing adds nothing to durability, only a wait.
 */
export async function deliver(root: string, source: Readable, options: DeliverOptions = {}): Promise<DeliveredMessage> {
  // A client may vanish before the first read; keep its error for the write loop to see.
  const noteError = (): void => undefined;
  source.on("error", noteError);
  const envelope = options.envelope;
  const id = uniqueName(envelope ? new Date(envelope.receivedAt) : new Date());
  const tmpPath = path.join(root, "tmp", id);
  const newPath = path.join(root, "new", id);
  const trace = envelope && traceHeaders(envelope, options.receivedBy);
  const syncs = options.syncs ?? deliverySyncs(root);
  let fd: number | undefined;
  let committed = false;
  try {
    const message = await writeMessage(tmpPath, source, trace, options.refuse, (opened) => (fd = opened));
    await renamePath(tmpPath, newPath);
    committed = true;
    const written = message.fd;
    fd = undefined;
    await Promise.all([syncs.newDir.sync(), closeFd(written)]);
    return { id, path: newPath, size: message.size };
  } finally {
    source.off("error", noteError);
    if (fd !== undefined) await closeFd(fd).catch(() => undefined);
    if (!committed) await unlinkPath(tmpPath).catch(() => undefined);
    if (!options.syncs) await syncs.newDir.close();
  }
}

/** The Maildir inside porthost's data directory (PORTHOST_DATA_DIR). */
export function maildirRoot(dataDir: string): string {
  return path.join(dataDir, "Maildir");
}

/** The folders porthost writes mail into, for the start-up check that they are writable. */
export function maildirDirs(dataDir: string): string[] {
  const root = maildirRoot(dataDir);
  return [root, ...MAILDIR_SUBDIRS.map((sub) => path.join(root, sub))];
}
