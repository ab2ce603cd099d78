import { watch, type FSWatcher } from "node:fs";
import { readdir, stat } from "node:fs/promises";
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
/** A full rescan catches what a watcher may have dropped (an inotify queue overflow). */
export const RECONCILE_INTERVAL_MS = 60_000; // 60 s

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

  constructor(
    readonly root: string,
    private readonly options: MaildirIndexOptions = {},
  ) {}

  /** Scans the Maildir and, when asked, starts watching it. */
  async open(): Promise<void> {
    if (this.options.watch) this.startWatching();
    this.stamp = await this.directoryStamp();
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
  }

  remove(id: string): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    this.byId.delete(id);
    const at = this.insertionPoint(id);
    if (this.order[at] === entry) this.order.splice(at, 1);
    else this.order.splice(this.order.indexOf(entry), 1);
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
  }

  private async doRefresh(): Promise<void> {
    const stamp = await this.directoryStamp();
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
  }

  private async applyPending(): Promise<void> {
    const names = [...this.pending];
    this.pending.clear();
    await Promise.all(
      names.map(async (relative) => {
        const [dir, name] = relative.split("/") as ["new" | "cur", string];
        if (!isMessageFileName(name)) return;
        const id = messageId(name);
        const exists = await stat(path.join(this.root, relative)).then(
          (s) => s.isFile(),
          () => false,
        );
        const entry = this.byId.get(id);
        if (exists) this.upsert(id, dir, name);
        else if (entry && entry.dir === dir && entry.name === name) this.remove(id);
      }),
    );
  }

  private async directoryStamp(): Promise<string> {
    const stamps = await Promise.all(
      SUBDIRS.map((sub) =>
        stat(path.join(this.root, sub), { bigint: true }).then(
          (s) => `${s.mtimeNs}/${s.ctimeNs}`,
          () => "missing",
        ),
      ),
    );
    return stamps.join(":");
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
    for (const entry of this.order) if (!seen.has(entry.id)) this.byId.delete(entry.id);
    let added = false;
    for (const [id, where] of seen) {
      const known = this.byId.get(id);
      if (known) {
        known.dir = where.dir;
        known.name = where.name;
      } else {
        const entry: IndexEntry = { id, key: arrivalMicros(id), ...where };
        this.byId.set(id, entry);
        kept.push(entry);
        added = true;
      }
    }
    if (added) kept.sort(compareEntries);
    this.order.length = 0;
    for (const entry of kept) this.order.push(entry);
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
