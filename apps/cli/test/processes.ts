import { readdirSync, readFileSync } from "node:fs";

/** The processes whose parent is `pid`, read from /proc (their state too: a zombie has exited). */
export function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        return Number(stat(Number(name))[3]) === pid;
      } catch {
        return false; // gone while we looked
      }
    })
    .map(Number);
}

/** /proc/<pid>/stat's fields after the command name: [_, _, state, ppid, ...] with state at 2. */
export function stat(pid: number): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  return ["", "", ...text.slice(text.lastIndexOf(")") + 2).split(" ")];
}

export function running(pid: number): boolean {
  try {
    return stat(pid)[2] !== "Z";
  } catch {
    return false;
  }
}

/** The supervisor's app processes by app name (web, smtp, echo, pop3), read from their command lines. */
export function appPids(supervisor: number): Record<string, number> {
  const apps: Record<string, number> = {};
  for (const pid of childrenOf(supervisor)) {
    try {
      const app = /apps\/(\w+)\/dist\/main\.js/.exec(readFileSync(`/proc/${pid}/cmdline`, "utf8"))?.[1];
      if (app && running(pid)) apps[app] = pid;
    } catch {
      // gone while we looked
    }
  }
  return apps;
}

/** Waits until none of `pids` runs, at most `timeoutMs`; returns those still running then. */
export async function awaitGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(running) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  return pids.filter(running);
}
