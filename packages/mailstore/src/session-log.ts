import { EventEmitter } from "node:events";
import { mkdir, readFile, readdir, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { DirectorySync } from "./directory-sync.js";
import { closeFd, fdatasyncFd, isMissing, openFd, renamePath, unlinkPath, writeFully } from "./fd-io.js";
import { pruneMargin } from "./retention.js";
import type { SessionList, SessionOutcome, SessionRecord, SessionSummary } from "./session-schemas.js";

/**
 * Session records live beside the Maildir, in `<dataDir>/sessions/` (the Maildir stays a
 * standard one): one JSON file per session, named so that a directory listing sorts them by
 * start and tells service and outcome without opening them:
 * `<start ms, 15 digits>.<service>.<outcome>.<id>.json`. A record is written to `tmp/` and
 * renamed in once complete, so a reader in any process (the web reads what smtp and pop3 write;
 * in compose they share only the mail volume) sees whole records or none.
 */
export const SESSIONS_DIR = "sessions";
const TMP_DIR = "tmp";
const SUFFIX = ".json";
const NAME = /^(\d{15})\.([a-z][a-z0-9-]*)\.([a-z-]+)\.([0-9a-v]{16})\.json$/;
/** Records of one moment are written together, this long after the first of them ended. */
const WRITE_DELAY_MS = 50; // 0.05 s
/** A tmp file this old was left by a writer that crashed mid-write. */
const STALE_TMP_MS = 10 * 60_000; // 10 min
/** Records a prune hands to libuv's threads at once (as the Maildir's prune does). */
const PRUNE_CHUNK = 64;
/** The most a list returns. */
export const MAX_SESSION_PAGE = 1000;

export function sessionsRoot(dataDir: string): string {
  return path.join(dataDir, SESSIONS_DIR);
}

interface RecordName {
  readonly file: string;
  readonly startedAt: number;
  readonly service: string;
  readonly outcome: string;
  readonly id: string;
}

function recordName(record: SessionRecord): string {
  const start = String(Date.parse(record.startedAt)).padStart(15, "0");
  return `${start}.${record.service}.${record.outcome}.${record.id}${SUFFIX}`;
}

function parseName(file: string): RecordName | undefined {
  const match = NAME.exec(file);
  if (!match) return undefined;
  const [, start, service, outcome, id] = match as unknown as [string, string, string, string, string];
  return { file, startedAt: Number(start), service, outcome, id };
}

/** The records on disk, newest first. */
async function recordNames(dir: string): Promise<RecordName[]> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
  const names: RecordName[] = [];
  for (const file of files) {
    const name = parseName(file);
    if (name) names.push(name);
  }
  return names.sort((a, b) => (a.file < b.file ? 1 : a.file > b.file ? -1 : 0));
}

async function readRecord(dir: string, file: string): Promise<SessionRecord | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, file), "utf8")) as SessionRecord;
  } catch (error) {
    // Pruned by a writer between the listing and the read.
    if (isMissing(error)) return undefined;
    throw error;
  }
}

export interface SessionLogOptions {
  /** The most records kept (PORTHOST_SESSIONS_MAX); the oldest go first. */
  readonly max: number;
  /** A record that could not be written: the session is lost from the record, nothing else. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Writes session records, off the path of the protocol: `add` only queues, and the queue is
 * written a moment later in one batch (each record fdatasync'ed in tmp/, renamed in, then one
 * directory fsync); past `max` by a margin, a pruning pass takes the oldest down to `max`.
 * Emits "written" with each record once it is visible to readers.
 */
export class SessionLog extends EventEmitter<{ written: [SessionRecord] }> {
  private queue: SessionRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly sync: DirectorySync;
  private sequence = 0;
  /** Records on disk: listed at the first write or prune, counted up by this writer since. */
  private onDisk: number | undefined;

  private constructor(
    readonly dir: string,
    private readonly options: SessionLogOptions,
  ) {
    super();
    this.sync = new DirectorySync(dir);
  }

  /** Makes the directory (and its tmp/) and clears what a crashed writer left in tmp/. */
  static async open(dir: string, options: SessionLogOptions): Promise<SessionLog> {
    const tmp = path.join(dir, TMP_DIR);
    await mkdir(tmp, { recursive: true, mode: 0o700 });
    const now = Date.now();
    for (const file of await readdir(tmp)) {
      const full = path.join(tmp, file);
      const info = await stat(full).catch(() => undefined);
      if (info && now - info.mtimeMs > STALE_TMP_MS) await unlink(full).catch(() => undefined);
    }
    return new SessionLog(dir, options);
  }

  /**
   * Queues a finished session's record; it is written within a moment. While the disk is slower
   * than the sessions end (a flood of connections), the queue keeps only the newest `max`: the
   * older ones would be pruned as soon as they were written.
   */
  add(record: SessionRecord): void {
    this.queue.push(record);
    if (this.queue.length > this.options.max) this.queue.splice(0, this.queue.length - this.options.max);
    this.timer ??= setTimeout(() => void this.flush(), WRITE_DELAY_MS);
  }

  /** Resolves once every record added so far is written (or failed). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    // The queue is taken when the write before has finished, so it is what stays bounded meanwhile.
    this.writing = this.writing.then(() => this.writeQueued());
    return this.writing;
  }

  private async writeQueued(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (batch.length > 0) await this.write(batch);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.sync.close();
  }

  private async write(batch: readonly SessionRecord[]): Promise<void> {
    const written: SessionRecord[] = [];
    for (const record of batch) {
      const name = recordName(record);
      const temporary = path.join(this.dir, TMP_DIR, `${process.pid}.${++this.sequence}.${name}`);
      try {
        const fd = await openFd(temporary, "wx", 0o600);
        try {
          await writeFully(fd, Buffer.from(JSON.stringify(record)));
          await fdatasyncFd(fd);
        } finally {
          await closeFd(fd);
        }
        await renamePath(temporary, path.join(this.dir, name));
        written.push(record);
      } catch (error) {
        await unlinkPath(temporary).catch(() => undefined);
        this.options.onError?.(error);
      }
    }
    try {
      if (written.length > 0) await this.sync.sync();
      // Counted once, then kept: the directory is listed again only when a prune is due.
      this.onDisk = this.onDisk === undefined ? (await recordNames(this.dir)).length : this.onDisk + written.length;
      if (this.onDisk > this.options.max + pruneMargin(this.options.max)) await this.prune();
    } catch (error) {
      this.options.onError?.(error);
    }
    for (const record of written) this.emit("written", record);
  }

  /**
   * Down to `max`, oldest first, in one batch once the records pass it by pruneMargin(max), as
   * the Maildir is pruned: one listing and a batch of unlinks per `margin` records, not per write.
   * Each writer (smtp, pop3) counts its own records between listings, so with both writing the
   * directory may pass `max` by up to a margin each. Another process pruning at once only makes
   * some unlinks miss.
   */
  private async prune(): Promise<void> {
    const names = await recordNames(this.dir);
    const excess = names.slice(this.options.max);
    for (let i = 0; i < excess.length; i += PRUNE_CHUNK) {
      await Promise.all(
        excess.slice(i, i + PRUNE_CHUNK).map((name) =>
          unlinkPath(path.join(this.dir, name.file)).catch((error: unknown) => {
            if (!isMissing(error)) throw error;
          }),
        ),
      );
    }
    this.onDisk = names.length - excess.length;
  }
}

export interface SessionQuery {
  readonly service?: string | undefined;
  readonly outcome?: SessionOutcome | undefined;
  /** Default 50, at most MAX_SESSION_PAGE. */
  readonly limit?: number | undefined;
}

function summaryOf(record: SessionRecord): SessionSummary {
  const { transcript: _transcript, ...summary } = record;
  return summary;
}

/** The sessions on record in `dir`, newest first, filtered by the names alone before any file is read. */
export async function listSessions(dir: string, query: SessionQuery = {}): Promise<SessionList> {
  const limit = Math.min(query.limit ?? 50, MAX_SESSION_PAGE);
  const matching = (await recordNames(dir)).filter(
    (name) =>
      (query.service === undefined || name.service === query.service) &&
      (query.outcome === undefined || name.outcome === query.outcome),
  );
  const records = await Promise.all(matching.slice(0, limit).map((name) => readRecord(dir, name.file)));
  return {
    sessions: records.filter((record) => record !== undefined).map(summaryOf),
    total: matching.length,
  };
}

/** One session on record, or undefined. */
export async function readSession(dir: string, id: string): Promise<SessionRecord | undefined> {
  const name = (await recordNames(dir)).find((candidate) => candidate.id === id);
  return name && readRecord(dir, name.file);
}
