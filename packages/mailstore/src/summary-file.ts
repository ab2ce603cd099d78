import { appendFile, readFile, rename, unlink, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * Beside tmp/, new/ and cur/: the list view of every message read so far, one JSON line each,
 * so that a search or a POP3 login after a restart reads one file, not the head of every
 * message (100,000 messages: seconds). It is only a cache: a line counts only for a message
 * the Maildir holds (a message file never changes once delivered), a missing or broken line
 * costs a read of the message, and deleting the file loses nothing.
 */
export const SUMMARY_FILE = "porthost-summaries.jsonl";
/** The line format; lines of another are passed over (and read again from the messages). 2: sessionId. */
const FORMAT = 2;
/** The file is rewritten without dead lines when they are most of at least this many. */
const COMPACT_MIN_LINES = 1_000;

interface Line<T> {
  readonly v: number;
  readonly summary: T;
}

function lineOf<T>(summary: T): string {
  const line: Line<T> = { v: FORMAT, summary };
  return `${JSON.stringify(line)}\n`;
}

function parseLine<T extends { readonly id: string }>(line: string): T | undefined {
  try {
    const parsed = JSON.parse(line) as Partial<Line<T>> | null;
    if (parsed?.v !== FORMAT || typeof parsed.summary?.id !== "string") return undefined;
    return parsed.summary;
  } catch {
    return undefined; // a line cut short by a crash, or not ours
  }
}

/**
 * Appends from any process (each batch is one write to a file opened O_APPEND, so lines from
 * the web and POP3 services never interleave); a rewrite races an append at worst into a
 * cache miss. Write errors are ignored: the messages themselves are the truth.
 */
export class SummaryFile<T extends { readonly id: string }> {
  private readonly file: string;
  private pending: string[] = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(root: string, fileName = SUMMARY_FILE) {
    this.file = path.join(root, fileName);
  }

  /** The summaries of the messages `holds` says are there, each once. */
  async read(holds: (id: string) => boolean): Promise<T[]> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch {
      return []; // missing or unreadable: every summary is read from its message instead
    }
    const live = new Map<string, T>();
    let lines = 0;
    for (const line of text.split("\n")) {
      if (line === "") continue;
      lines += 1;
      const summary = parseLine<T>(line);
      if (summary && holds(summary.id)) live.set(summary.id, summary);
    }
    if (lines >= COMPACT_MIN_LINES && live.size * 2 < lines) await this.rewrite(live.values());
    return [...live.values()];
  }

  /** Keeps a summary read from its message; lines of one event-loop turn go in one write. */
  add(summary: T): void {
    this.pending.push(lineOf(summary));
    if (this.pending.length === 1) setImmediate(() => void this.flush());
  }

  /** Resolves when everything added so far is written (or its write failed). */
  flush(): Promise<void> {
    if (this.pending.length > 0) {
      // Starting on a new line: a line another writer's crash cut short ends there, and only it is lost.
      const text = `\n${this.pending.join("")}`;
      this.pending = [];
      this.writing = this.writing.then(() => appendFile(this.file, text, { mode: 0o600 }).catch(() => undefined));
    }
    return this.writing;
  }

  private async rewrite(summaries: Iterable<T>): Promise<void> {
    const temporary = `${this.file}.${process.pid}.tmp`;
    let text = "";
    for (const summary of summaries) text += lineOf(summary);
    try {
      await writeFile(temporary, text, { mode: 0o600 });
      await rename(temporary, this.file);
    } catch {
      // A cache that stays long is only slower to read; a half-written copy (full disk) must not take room.
      await unlink(temporary).catch(() => undefined);
    }
  }
}
