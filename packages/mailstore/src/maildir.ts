import { mkdir, open, rename, unlink, type FileHandle } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { randomBytes } from "node:crypto";

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

/** Makes the Maildir's tmp/, new/ and cur/ if they are missing. */
export async function ensureMaildir(root: string): Promise<void> {
  for (const sub of MAILDIR_SUBDIRS) {
    await mkdir(path.join(root, sub), { recursive: true, mode: 0o700 });
  }
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Bytes are gathered up to this size before one write, so small chunks do not cost a syscall each. */
const WRITE_BATCH_BYTES = 64 * 1024; // 64 KiB

/** Writes a stream to a file, awaiting each write so memory stays bounded (backpressure). */
async function writeAll(handle: FileHandle, source: Readable, prefix?: Buffer): Promise<void> {
  let batch: Buffer[] = prefix ? [prefix] : [];
  let batched = prefix?.length ?? 0;
  for await (const chunk of source) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    batch.push(buffer);
    batched += buffer.length;
    if (batched >= WRITE_BATCH_BYTES) {
      await handle.write(Buffer.concat(batch, batched));
      batch = [];
      batched = 0;
    }
  }
  if (batched > 0) await handle.write(Buffer.concat(batch, batched));
}

export interface DeliverOptions {
  /** Bytes to write before the message (a Received: header). */
  readonly prefix?: Buffer;
  /**
   * Called after the body is written and before it is made visible; throwing aborts the
   * delivery (the tmp file is removed). The SMTP service checks the size limit here.
   */
  readonly beforeCommit?: () => void;
}

/**
 * Delivers one message the Maildir way: written to tmp/, fsynced, renamed into new/, and the
 * directory fsynced, so a message that resolves is durably on disk and no reader ever sees
 * a half-written file.
 */
export async function deliver(root: string, source: Readable, options: DeliverOptions = {}): Promise<DeliveredMessage> {
  // A client may vanish before the first read; keep its error for the write loop to see.
  const noteError = (): void => undefined;
  source.on("error", noteError);
  const id = uniqueName();
  const tmpPath = path.join(root, "tmp", id);
  const newPath = path.join(root, "new", id);
  const handle = await open(tmpPath, "wx", 0o600);
  let committed = false;
  try {
    await writeAll(handle, source, options.prefix);
    options.beforeCommit?.();
    await handle.sync();
    const { size } = await handle.stat();
    await handle.close();
    await rename(tmpPath, newPath);
    committed = true;
    await fsyncDirectory(path.join(root, "new"));
    return { id, path: newPath, size };
  } finally {
    source.off("error", noteError);
    if (!committed) {
      await handle.close().catch(() => undefined);
      await unlink(tmpPath).catch(() => undefined);
    }
  }
}

/** The Maildir inside porthost's data directory (PORTHOST_DATA_DIR). */
export function maildirRoot(dataDir: string): string {
  return path.join(dataDir, "Maildir");
}
