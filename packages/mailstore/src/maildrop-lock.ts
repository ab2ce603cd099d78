import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readFile, stat, unlink, utimes } from "node:fs/promises";
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

/** This process's own mark: a restarted container reuses pid 1 and its host name, never this. */
const INSTANCE = randomBytes(8).toString("hex");
const HOST = hostname();
/** Locks this process holds, by file: a second session here is refused without asking the disk. */
const held = new Set<string>();

export interface MaildropLock {
  /** The maildrop's name as given to lockMaildrop. */
  readonly maildrop: string;
  /** Removes the lock file; safe to call more than once. */
  release(): Promise<void>;
}

interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly instance: string;
  readonly maildrop: string;
  readonly since: string;
}

/** A file name for any maildrop name (an address may hold any character): its digest. */
function lockFile(root: string, maildrop: string): string {
  const digest = createHash("sha256").update(maildrop).digest("hex").slice(0, 32);
  return path.join(root, LOCK_DIR, `${digest}.lock`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether a lock file left by someone else may be taken over. */
async function isStale(file: string): Promise<boolean> {
  let owner: Partial<LockOwner>;
  let touchedAt: number;
  try {
    owner = JSON.parse(await readFile(file, "utf8")) as Partial<LockOwner>;
    touchedAt = (await stat(file)).mtimeMs;
  } catch (error) {
    // Gone meanwhile, or half-written by a process that died between create and write.
    return (error as NodeJS.ErrnoException).code === "ENOENT" || error instanceof SyntaxError;
  }
  if (Date.now() - touchedAt > LOCK_STALE_MS) return true;
  if (owner.host !== HOST || typeof owner.pid !== "number") return false;
  if (owner.pid === process.pid) return owner.instance !== INSTANCE;
  return !isAlive(owner.pid);
}

/** Creates the lock file exclusively (O_CREAT|O_EXCL); false when it exists. */
async function create(file: string, owner: LockOwner): Promise<boolean> {
  try {
    const handle = await open(file, "wx", 0o600);
    try {
      await handle.writeFile(JSON.stringify(owner));
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/**
 * Takes the exclusive lock on one maildrop of the Maildir at `root`, or resolves undefined
 * when another session holds it, in this process or another one sharing the Maildir. The
 * lock is a file made with O_EXCL; a holder refreshes it every LOCK_REFRESH_MS, and a lock
 * is taken over when its process is gone (same host, pid not running, or the pid reused by
 * a restarted container) or when nobody touched it for LOCK_STALE_MS.
 */
export async function lockMaildrop(root: string, maildrop: string): Promise<MaildropLock | undefined> {
  const file = lockFile(root, maildrop);
  if (held.has(file)) return undefined;
  held.add(file);
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const owner: LockOwner = {
      pid: process.pid,
      host: HOST,
      instance: INSTANCE,
      maildrop,
      since: new Date().toISOString(),
    };
    let taken = await create(file, owner);
    if (!taken && (await isStale(file))) {
      await unlink(file).catch(() => undefined);
      taken = await create(file, owner);
    }
    if (!taken) {
      held.delete(file);
      return undefined;
    }
  } catch (error) {
    held.delete(file);
    throw error;
  }
  const refresh = setInterval(() => {
    const now = new Date();
    utimes(file, now, now).catch(() => undefined);
  }, LOCK_REFRESH_MS);
  refresh.unref();
  let released: Promise<void> | undefined;
  return {
    maildrop,
    release() {
      released ??= (async () => {
        clearInterval(refresh);
        await unlink(file).catch(() => undefined);
        held.delete(file);
      })();
      return released;
    },
  };
}
