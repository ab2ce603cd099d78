import { statSync, watch, type FSWatcher } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { arrivalMicros, isMessageFileName, messageId } from "./message-name.js";

/** Where a message file is: `new` or `cur`, and its name there (with `:2,flags` in cur/). */
export interface IndexEntry {
  readonly id: string;
  /** Arrival time from the name, in microseconds: the sort key. */
  readonly key: number;
  dir: "new" | "cur";
  name: string;
}

export interface MaildirIndexOptions {
  /** Follow changes with fs.watch (inotify); without it every refresh compares directory times. */
  readonly watch?: boolean;
}

/** Beyond this many unapplied changes a writer that rarely reads rescans instead, keeping memory bounded. */
export const MAX_PENDING_CHANGES = 10_000;
/** Fewer removals than this are spliced out one by one; more take one pass over the whole order. */
const SPLICE_BELOW = 8;
/** Up to this many changes are applied by a stat of each name; more by reading new/ and cur/ again. */
const PENDING_STATS = 256;
/** A full rescan catches what a watcher may have dropped (an inotify queue overflow). */
export const RECONCILE_INTERVAL_MS = 60_000; // 60 s
/** Without a watcher (NFS), how often the directories are looked at while someone waits for arrivals. */
export const ARRIVAL_POLL_MS = 1_000; // 1 s

/** Told of each message the index learns of (not of moves between new/ and cur/). */
export type ArrivalListener = (entry: IndexEntry) => void;
/** Told of each message that left the Maildir, whichever process deleted it. */
export type RemovalListener = (entry: IndexEntry) => void;

const SUBDIRS = ["new", "cur"] as const;

/**
 * Which messages the Maildir holds, oldest first, learned from new/ and cur/ only. Other
 * processes deliver, move and delete files; `refresh()` brings the index up to date before
 * every read: with a watcher it applies the reported names (waiting one event-loop turn
 * when a directory changed, so the kernel's queued events arrive), otherwise it rescans
 * when a directory's modification time moved.
 */
export class MaildirIndex {
  private readonly byId = new Map<string, IndexEntry>();
  /** Oldest first; new deliveries append. */
  private readonly order: IndexEntry[] = [];
  private readonly pending = new Set<string>();
  private watchers: FSWatcher[] = [];
  private watching = false;
  private stamp = "";
  private refreshing: Promise<void> | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private needsRescan = false;
  private readonly arrivalListeners = new Set<ArrivalListener>();
  private readonly removalListeners = new Set<RemovalListener>();
  private arrivalCheck: NodeJS.Immediate | undefined;
  private arrivalPoll: NodeJS.Timeout | undefined;

  constructor(
    readonly root: string,
    private readonly options: MaildirIndexOptions = {},
  ) {}

  /** Scans the Maildir and, when asked, starts watching it. */
  async open(): Promise<void> {
    if (this.options.watch) this.startWatching();
    this.stamp = this.directoryStamp();
    await this.rescan();
  }

  get size(): number {
    return this.order.length;
  }

  get(id: string): IndexEntry | undefined {
    return this.byId.get(id);
  }

  /** Entries from newest to oldest, starting after `afterId` (a cursor) when given. */
  *newestFirst(afterId?: string): Generator<IndexEntry> {
    let start = this.order.length - 1;
    if (afterId !== undefined) start = this.insertionPoint(afterId) - 1;
    for (let i = start; i >= 0; i--) yield this.order[i] as IndexEntry;
  }

  /** Every entry, oldest first: the index's own array, for fast scans; do not keep it. */
  entries(): readonly IndexEntry[] {
    return this.order;
  }

  oldest(): IndexEntry | undefined {
    return this.order[0];
  }

  /** Records a file this process just put in the Maildir. */
  upsert(id: string, dir: "new" | "cur", name: string): void {
    const known = this.byId.get(id);
    if (known) {
      known.dir = dir;
      known.name = name;
      return;
    }
    const entry: IndexEntry = { id, key: arrivalMicros(id), dir, name };
    this.byId.set(id, entry);
    const at = this.insertionPoint(id);
    if (at === this.order.length) this.order.push(entry);
    else this.order.splice(at, 0, entry);
    this.announce(entry);
  }

  /**
   * Calls `listener` for every message that arrives from now on, whichever process put it there:
   * while anyone listens, a change the watcher reports is applied at once (no polling, no CPU
   * while nothing arrives); without a watcher the directories are looked at every ARRIVAL_POLL_MS.
   */
  onArrival(listener: ArrivalListener): () => void {
    return this.follow(this.arrivalListeners, listener);
  }

  /** Calls `listener` for every message that leaves the Maildir from now on (a web, POP3 or CLI delete, pruning), as onArrival does. */
  onRemoval(listener: RemovalListener): () => void {
    return this.follow(this.removalListeners, listener);
  }

  private listened(): boolean {
    return this.arrivalListeners.size > 0 || this.removalListeners.size > 0;
  }

  private follow<L>(listeners: Set<L>, listener: L): () => void {
    listeners.add(listener);
    if (!this.watching && this.arrivalPoll === undefined) {
      this.arrivalPoll = setInterval(() => void this.refresh().catch(() => undefined), ARRIVAL_POLL_MS).unref();
    }
    return () => {
      listeners.delete(listener);
      if (!this.listened()) {
        clearInterval(this.arrivalPoll);
        this.arrivalPoll = undefined;
      }
    };
  }

  private announce(entry: IndexEntry): void {
    for (const listener of this.arrivalListeners) listener(entry);
  }

  /** A watched directory changed: apply it now if anyone waits for arrivals (once per event-loop turn). */
  private changed(): void {
    if (!this.listened() || this.arrivalCheck !== undefined) return;
    this.arrivalCheck = setImmediate(() => {
      this.arrivalCheck = undefined;
      void this.refresh().catch(() => undefined);
    });
  }

  remove(id: string): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    this.byId.delete(id);
    const at = this.insertionPoint(id);
    if (this.order[at] === entry) this.order.splice(at, 1);
    else this.order.splice(this.order.indexOf(entry), 1);
    for (const listener of this.removalListeners) listener(entry);
  }

  /** Removes many entries with one pass over the order (a prune's batch), not one splice each. */
  removeAll(ids: readonly string[]): void {
    if (ids.length < SPLICE_BELOW) {
      for (const id of ids) this.remove(id);
      return;
    }
    const removed: IndexEntry[] = [];
    for (const id of ids) {
      const entry = this.byId.get(id);
      if (!entry) continue;
      this.byId.delete(id);
      removed.push(entry);
    }
    if (removed.length === 0) return;
    const gone = new Set(removed);
    let kept = 0;
    for (const entry of this.order) if (!gone.has(entry)) this.order[kept++] = entry;
    this.order.length = kept;
    for (const entry of removed) for (const listener of this.removalListeners) listener(entry);
  }

  /** Brings the index up to date with the Maildir; concurrent callers share one refresh. */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  close(): void {
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
    this.watching = false;
    clearInterval(this.reconcileTimer);
    clearInterval(this.arrivalPoll);
    this.arrivalPoll = undefined;
    if (this.arrivalCheck !== undefined) clearImmediate(this.arrivalCheck);
    this.arrivalCheck = undefined;
  }

  private async doRefresh(): Promise<void> {
    const stamp = this.directoryStamp();
    if (!this.watching || this.needsRescan) {
      if (stamp !== this.stamp || this.needsRescan) {
        this.needsRescan = false;
        this.stamp = stamp;
        await this.rescan();
      }
      return;
    }
    if (stamp !== this.stamp) {
      // Events for changes the stat saw are already queued in the kernel; one turn reads them.
      await nextTurn();
      this.stamp = stamp;
    }
    await this.applyPending();
  }

  private startWatching(): void {
    try {
      for (const sub of SUBDIRS) {
        const watcher = watch(path.join(this.root, sub), { persistent: false }, (_event, name) => {
          if (typeof name === "string" && name !== "" && this.pending.size < MAX_PENDING_CHANGES) {
            this.pending.add(`${sub}/${name}`);
          } else {
            this.pending.clear();
            this.needsRescan = true;
          }
          this.changed();
        });
        watcher.on("error", () => this.stopWatching());
        this.watchers.push(watcher);
      }
      this.watching = true;
      this.reconcileTimer = setInterval(() => {
        this.needsRescan = true;
      }, RECONCILE_INTERVAL_MS).unref();
    } catch {
      this.stopWatching();
    }
  }

  /** Falls back to comparing directory times (file systems without inotify, NFS). */
  private stopWatching(): void {
    this.close();
    this.needsRescan = true;
    if (this.listened()) {
      this.arrivalPoll = setInterval(() => void this.refresh().catch(() => undefined), ARRIVAL_POLL_MS).unref();
    }
  }

  private async applyPending(): Promise<void> {
    // Past a few hundred changes (another process's prune, say) two directory reads cost less
    // than a stat for each name.
    if (this.pending.size > PENDING_STATS) return this.rescan();
    const names = [...this.pending];
    this.pending.clear();
    // Stats at once, not through libuv's threads: a stat answers from the inode cache in a few
    // microseconds, while handing it to a thread and back costs several times that in CPU, and
    // the web service does this for every message that arrives or goes.
    const seen = names.map((relative) => {
      const [dir, name] = relative.split("/") as ["new" | "cur", string];
      if (!isMessageFileName(name)) return undefined;
      const exists = statSync(path.join(this.root, relative), { throwIfNoEntry: false })?.isFile() ?? false;
      return { id: messageId(name), dir, name, exists };
    });
    // Files that exist first: a move from new/ to cur/ updates the entry before its old name is
    // found gone, so it is not taken for a deletion and an arrival.
    for (const change of seen) if (change?.exists) this.upsert(change.id, change.dir, change.name);
    const gone: string[] = [];
    for (const change of seen) {
      if (!change || change.exists) continue;
      const entry = this.byId.get(change.id);
      if (entry && entry.dir === change.dir && entry.name === change.name) gone.push(change.id);
    }
    this.removeAll(gone);
  }

  /** The directories' change times, read at once as applyPending's stats are. */
  private directoryStamp(): string {
    return SUBDIRS.map((sub) => {
      try {
        const s = statSync(path.join(this.root, sub), { bigint: true });
        return `${s.mtimeNs}/${s.ctimeNs}`;
      } catch {
        return "missing";
      }
    }).join(":");
  }

  /** Reads new/ and cur/ and makes the index match them exactly. */
  private async rescan(): Promise<void> {
    this.pending.clear();
    const seen = new Map<string, { dir: "new" | "cur"; name: string }>();
    for (const dir of SUBDIRS) {
      const names = await readdir(path.join(this.root, dir)).catch(() => [] as string[]);
      for (const name of names) {
        if (isMessageFileName(name)) seen.set(messageId(name), { dir, name });
      }
    }
    const kept = this.order.filter((entry) => seen.has(entry.id));
    const removed = this.order.filter((entry) => !seen.has(entry.id));
    for (const entry of removed) this.byId.delete(entry.id);
    const added: IndexEntry[] = [];
    for (const [id, where] of seen) {
      const known = this.byId.get(id);
      if (known) {
        known.dir = where.dir;
        known.name = where.name;
      } else {
        const entry: IndexEntry = { id, key: arrivalMicros(id), ...where };
        this.byId.set(id, entry);
        kept.push(entry);
        added.push(entry);
      }
    }
    if (added.length > 0) kept.sort(compareEntries);
    this.order.length = 0;
    for (const entry of kept) this.order.push(entry);
    for (const entry of added) this.announce(entry);
    for (const entry of removed) for (const listener of this.removalListeners) listener(entry);
  }

  /** The position of `id` in `order` (or where it would go), by binary search. */
  private insertionPoint(id: string): number {
    const probe = { id, key: arrivalMicros(id) };
    let low = 0;
    let high = this.order.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareEntries(this.order[mid] as IndexEntry, probe) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

/** Oldest first: by arrival time, then by id for a stable order. */
function compareEntries(a: { id: string; key: number }, b: { id: string; key: number }): number {
  if (a.key !== b.key) return a.key - b.key;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
