import { writeSync } from "node:fs";

/** A reader that stops reading (a full pipe) is waited for this long between tries. */
const RETRY_MS = 10;
/** At exit, a slow reader gets this long for the last lines before they are dropped. */
export const EXIT_FLUSH_MS = 2_000; // 2 s

export interface LineWriter {
  write(line: string): void;
  /** Writes everything pending now (pino calls it after a fatal line; the writer at exit). */
  flushSync(): void;
  /** pino's `logger.flush(cb)`. */
  flush(callback?: (error?: Error) => void): void;
  /** True once the reader has gone (EPIPE): lines are dropped from then on. */
  readonly broken: boolean;
}

/** Every writer's exit flush, behind one exit listener however many loggers a process makes. */
const exitFlushes = new Set<() => void>();

function flushAtExit(flush: () => void): void {
  if (exitFlushes.size === 0) {
    process.on("exit", () => {
      for (const each of exitFlushes) each();
    });
  }
  exitFlushes.add(flush);
}

function errnoCode(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}

/**
 * Log lines to a file descriptor, written together once per event-loop turn: a busy service
 * makes one write for all the lines of a turn, a quiet one still prints each line at once.
 * A slow reader holds the writes, as node's own stdout does on a Linux pipe (a descriptor set
 * non-blocking is retried later instead: EAGAIN); nothing is dropped. A reader that is gone
 * (EPIPE: a supervisor that died, `| head`) costs nothing more: lines are dropped. At exit what
 * is pending is written synchronously, so the last lines ("stopped") are not lost, and a broken
 * pipe cannot hold the exit (pino's own asynchronous writer retries it forever).
 */
export function lineWriter(fd: number): LineWriter {
  let lines: string[] = [];
  /** Bytes a partial write left over: they go first. */
  let rest: Buffer | undefined;
  let scheduled = false;
  let retrying = false;
  let broken = false;

  /** Writes what it can without blocking; returns true when nothing is left. */
  const writeNow = (): boolean => {
    if (broken) return true;
    if (lines.length > 0) {
      const fresh = Buffer.from(lines.join(""));
      lines = [];
      rest = rest ? Buffer.concat([rest, fresh]) : fresh;
    }
    while (rest && rest.length > 0) {
      try {
        const written = writeSync(fd, rest);
        rest = written === rest.length ? undefined : rest.subarray(written);
      } catch (error) {
        if (errnoCode(error) === "EAGAIN") return false;
        broken = true; // EPIPE and the like: nobody reads any more
        rest = undefined;
        return true;
      }
    }
    rest = undefined;
    return true;
  };

  const turnEnd = (): void => {
    scheduled = false;
    if (retrying || writeNow()) return;
    retrying = true;
    const retry = (): void => {
      if (writeNow()) retrying = false;
      else setTimeout(retry, RETRY_MS).unref();
    };
    setTimeout(retry, RETRY_MS).unref();
  };

  const flushSync = (): void => {
    const deadline = Date.now() + EXIT_FLUSH_MS;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    while (!writeNow() && Date.now() < deadline) Atomics.wait(pause, 0, 0, RETRY_MS);
    lines = [];
    rest = undefined;
  };
  flushAtExit(flushSync);

  return {
    write(line) {
      if (broken) return;
      lines.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(turnEnd);
      }
    },
    flushSync,
    flush(callback) {
      flushSync();
      callback?.();
    },
    get broken() {
      return broken;
    },
  };
}
