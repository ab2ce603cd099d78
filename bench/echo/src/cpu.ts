import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const CLOCK_TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/**
 * Whose CPU time counts as a server's: one process; a process group with the children it has
 * reaped (socat forks one per connection or datagram); or a process and every descendant
 * (porthost start: the supervisor and each app it runs, in their own groups).
 */
export interface CpuScope {
  readonly pid: number;
  readonly count: "process" | "group" | "tree";
}

interface ProcessStat {
  readonly pid: number;
  readonly ppid: number;
  readonly pgrp: number;
  /** utime + stime, in clock ticks. */
  readonly own: number;
  /** cutime + cstime: children already waited for, in clock ticks. */
  readonly children: number;
}

/** One process's /proc/<pid>/stat (proc(5)); undefined when it is gone. */
function processStat(pid: number): ProcessStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return {
      pid,
      ppid: Number(fields[1]),
      pgrp: Number(fields[2]),
      own: Number(fields[11]) + Number(fields[12]),
      children: Number(fields[13]) + Number(fields[14]),
    };
  } catch {
    return undefined;
  }
}

function allProcesses(): ProcessStat[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((entry) => processStat(Number(entry)) ?? []);
}

function descendants(root: number, processes: readonly ProcessStat[]): ProcessStat[] {
  const found: ProcessStat[] = [];
  const parents = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of processes) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}

/**
 * CPU milliseconds a server has used so far. Unlike wall time, this does not grow when other
 * programs on the machine take the cores.
 */
export function cpuMs(scope: CpuScope): number {
  const leader = processStat(scope.pid);
  if (!leader) return Number.NaN;
  let ticks = leader.own;
  if (scope.count === "group") {
    ticks += leader.children;
    for (const p of allProcesses()) if (p.pgrp === scope.pid && p.pid !== scope.pid) ticks += p.own;
  } else if (scope.count === "tree") {
    for (const p of descendants(scope.pid, allProcesses())) ticks += p.own;
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}
