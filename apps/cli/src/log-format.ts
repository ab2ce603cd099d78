import { normalizeAddress } from "@porthost/events";

/** Turns one pino JSON line from an app into a short line a person reads while traffic flows. */

const LEVELS: Readonly<Record<number, string>> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};
const SHOWN_ELSEWHERE = new Set([
  "level",
  "time",
  "service",
  "msg",
  "pid",
  "hostname",
  "remote",
  "remotePort",
  "port",
  "reqId",
]);

function hostPort(host: unknown, port: unknown): string {
  const h = typeof host === "string" ? normalizeAddress(host) : "?";
  return h.includes(":") ? `[${h}]:${String(port)}` : `${h}:${String(port)}`;
}

function value(v: unknown): string {
  if (typeof v === "string") return /\s/.test(v) ? JSON.stringify(v) : v;
  if (typeof v === "object" && v !== null) return JSON.stringify(v);
  return String(v);
}

export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof entry !== "object" || entry === null) return line;
  // Built as one string, field by field: the supervisor formats every request line of a busy host.
  let out = typeof entry.time === "string" ? entry.time.slice(11, 19) : "";
  const add = (part: string): void => {
    if (part !== "") out = out === "" ? part : `${out}  ${part}`;
  };
  add(String(entry.service ?? "").padEnd(5));
  const level = typeof entry.level === "number" ? (LEVELS[entry.level] ?? "") : "";
  if (level !== "info") add(level);
  if (entry.remote !== undefined) add(`${hostPort(entry.remote, entry.remotePort)} -> :${String(entry.port)}`);
  else if (entry.port !== undefined) add(`:${String(entry.port)}`);
  add(String(entry.msg ?? ""));
  for (const key in entry) {
    const v = entry[key];
    if (v !== undefined && !SHOWN_ELSEWHERE.has(key)) add(`${key}=${value(v)}`);
  }
  return out;
}
