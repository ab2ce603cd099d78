import { createHash, randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdir, readFile, readdir, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";

/**
 * Where maildrop locks live: beside the envelopes, a directory with no leading dot that
 * Maildir readers ignore (they read only new/ and cur/).
 */
export const LOCK_DIR = "porthost-locks";
/** A holder touches its lock this often, so others can tell a live lock from a stale one. */
export const LOCK_REFRESH_MS = 30_000; // 30 s
/** A lock not touched for this long belongs to a process that is gone, wherever it ran. */
export const LOCK_STALE_MS = 120_000; // 2 min
/** A lock's name ends so; a process's spare lock (a token) ends in TOKEN_SUFFIX. */
export const LOCK_SUFFIX = ".lock";
const TOKEN_SUFFIX = ".token";
/** Inside a lock (a directory): who holds it, as JSON. */
const OWNER_FILE = "owner";
/** Spare locks made ahead, while the disk has room: sessions that can log in at once on a full disk. */
export const SPARE_LOCKS = 4;

/** This process's own mark: a restarted container reuses pid 1 and its host name, never this. */
const INSTANCE = randomBytes(8).toString("hex");
const HOST = hostname();
/** Locks this process holds, by file: a second session here is refused without asking the disk. */
const held = new Set<string>();
/** This process's spare locks, per lock directory, and how many it made there. */
const spares = new Map<string, { free: string[]; made: number }>();
let removeOnExit = false;

export interface MaildropLock {
  /** The maildrop's name as given to lockMaildrop. */
  readonly maildrop: string;
  /** Gives the lock up (it becomes a spare again); safe to call more than once. */
  release(): Promise<void>;
}

interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly instance: string;
  readonly since: string;
}

function errorCode(error: unknown): unknown {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** A file name for any maildrop name (an address may hold any character): its digest. */
function lockFile(root: string, maildrop: string): string {
  const digest = createHash("sha256").update(maildrop).digest("hex").slice(0, 32);
  return path.join(root, LOCK_DIR, `${digest}${LOCK_SUFFIX}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return errorCode(error) === "EPERM";
  }
}

/**
 * Whether a lock (or a spare lock) left by someone else may be taken over. An owner that
 * cannot be read (made on a disk with no room for its text) is judged by time alone.
 */
async function isStale(lock: string): Promise<boolean> {
  const file = path.join(lock, OWNER_FILE);
  let text: string;
  let touchedAt: number;
  try {
    text = await readFile(file, "utf8");
    touchedAt = (await stat(file)).mtimeMs;
  } catch (error) {
    // Gone meanwhile, a directory left with no owner in it, or a lock file of an earlier porthost.
    return errorCode(error) === "ENOENT" || errorCode(error) === "ENOTDIR";
  }
  if (Date.now() - touchedAt > LOCK_STALE_MS) return true;
  let owner: Partial<LockOwner>;
  try {
    owner = JSON.parse(text) as Partial<LockOwner>;
  } catch {
    return false;
  }
  if (owner.host !== HOST || typeof owner.pid !== "number") return false;
  if (owner.pid === process.pid) return owner.instance !== INSTANCE;
  return !isAlive(owner.pid);
}

/** Spare locks of processes that are gone. */
async function sweepSpares(dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [])) {
    if (!name.endsWith(TOKEN_SUFFIX) || name.startsWith(INSTANCE)) continue;
    const token = path.join(dir, name);
    if (await isStale(token)) await rm(token, { recursive: true, force: true });
  }
}

/** A new spare lock: a directory holding this process's owner file. */
async function makeSpare(dir: string): Promise<string> {
  const pool = spares.get(dir) ?? { free: [], made: 0 };
  spares.set(dir, pool);
  const token = path.join(dir, `${INSTANCE}-${pool.made++}${TOKEN_SUFFIX}`);
  await mkdir(token, { recursive: true, mode: 0o700 });
  const owner: LockOwner = { pid: process.pid, host: HOST, instance: INSTANCE, since: new Date().toISOString() };
  try {
    await writeFile(path.join(token, OWNER_FILE), JSON.stringify(owner), { mode: 0o600 });
  } catch (error) {
    await rm(token, { recursive: true, force: true });
    throw error;
  }
  if (!removeOnExit) process.once("exit", removeSpares);
  removeOnExit = true;
  return token;
}

function removeSpares(): void {
  for (const { free } of spares.values()) {
    for (const token of free) rmSync(token, { recursive: true, force: true });
  }
}

/** A spare lock to take, made now if none is left. */
async function takeSpare(dir: string): Promise<string> {
  const free = spares.get(dir)?.free ?? [];
  for (let spare = free.pop(); spare !== undefined; spare = free.pop()) {
    // Touched now, so the lock it becomes does not look stale to another host.
    const now = new Date();
    try {
      await utimes(path.join(spare, OWNER_FILE), now, now);
      return spare;
    } catch (error) {
      // Swept meanwhile (by a porthost on another host that took it for a dead one's): the next.
      if (errorCode(error) !== "ENOENT") throw error;
    }
  }
  return makeSpare(dir);
}

function giveBack(dir: string, spare: string): void {
  spares.get(dir)?.free.push(spare);
}

/**
 * Makes the lock directory and SPARE_LOCKS spare locks now, while the disk has room (POP3 calls
 * it at start-up): taking a lock is then a rename, which needs no free block and no free inode.
 */
export async function prepareMaildropLocks(root: string): Promise<void> {
  const dir = path.join(root, LOCK_DIR);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await sweepSpares(dir);
  const pool = spares.get(dir);
  for (let n = pool?.free.length ?? 0; n < SPARE_LOCKS; n++) giveBack(dir, await makeSpare(dir));
}

/**
 * Renames a spare lock to the lock's name: atomic, and refused (ENOTEMPTY or EEXIST) when the
 * lock is there, since a lock is a directory that is never empty. False when it is held.
 */
async function create(file: string): Promise<boolean> {
  const dir = path.dirname(file);
  for (let attempt = 0; ; attempt++) {
    const spare = await takeSpare(dir);
    try {
      await rename(spare, file);
      return true;
    } catch (error) {
      const code = errorCode(error);
      // The spare vanished between its touch and the rename: take another, a few times.
      if (code === "ENOENT" && attempt < SPARE_LOCKS) continue;
      giveBack(dir, spare);
      if (code === "ENOTEMPTY" || code === "EEXIST" || code === "EISDIR" || code === "ENOTDIR") return false;
      throw error;
    }
  }
}

/**
 * Takes the exclusive lock on one maildrop of the Maildir at `root`, or resolves undefined
 * when another session holds it, in this process or another one sharing the Maildir. The
 * lock is a directory holding its owner's pid, host and instance, renamed into place from a
 * spare made ahead (see prepareMaildropLocks), so a full disk never stops a client from logging
 * in to download and delete. A holder refreshes it every
 * LOCK_REFRESH_MS, and a lock is taken over when its process is gone (same host, pid not
 * running, or the pid reused by a restarted container) or when nobody touched it for LOCK_STALE_MS.
 */
export async function lockMaildrop(root: string, maildrop: string): Promise<MaildropLock | undefined> {
  const file = lockFile(root, maildrop);
  if (held.has(file)) return undefined;
  held.add(file);
  try {
    let taken = await create(file);
    if (!taken && (await isStale(file))) {
      await rm(file, { recursive: true, force: true });
      taken = await create(file);
    }
    if (!taken) {
      held.delete(file);
      return undefined;
    }
  } catch (error) {
    held.delete(file);
    throw error;
  }
  const owner = path.join(file, OWNER_FILE);
  const refresh = setInterval(() => {
    const now = new Date();
    utimes(owner, now, now).catch(() => undefined);
  }, LOCK_REFRESH_MS);
  refresh.unref();
  let released: Promise<void> | undefined;
  return {
    maildrop,
    release() {
      released ??= (async () => {
        clearInterval(refresh);
        const dir = path.dirname(file);
        const spare = path.join(dir, `${INSTANCE}-${randomBytes(4).toString("hex")}${TOKEN_SUFFIX}`);
        // Renamed back to a spare lock, for the next login (needs no room); removed if that fails.
        await rename(file, spare).then(
          () => giveBack(dir, spare),
          () => rm(file, { recursive: true, force: true }),
        );
        held.delete(file);
      })();
      return released;
    },
  };
}
