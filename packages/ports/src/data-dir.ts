import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, unlinkSync } from "node:fs";
import path from "node:path";
import { PortConfigError } from "./errors.js";

export const DATA_DIR_VARIABLE = "PORTHOST_DATA_DIR";

/** A full disk still lets porthost start: reading and deleting mail must keep working then. */
const FULL_DISK_CODES = new Set(["ENOSPC", "EDQUOT"]);

function errorCode(error: unknown): string {
  return (error as { code?: string }).code ?? "unknown error";
}

function reason(code: string, creating: boolean): string {
  switch (code) {
    case "EROFS":
      return "is on a read-only file system (EROFS)";
    case "EACCES":
      return `${creating ? "cannot be created" : "is not writable"} by this user${uid()} (EACCES)`;
    case "EPERM":
      return `${creating ? "cannot be created" : "is not writable"}: operation not permitted (EPERM; immutable?)`;
    case "EEXIST":
    case "ENOTDIR":
      return `is not a directory: a file is in the way (${code})`;
    case "ENOENT":
      return "cannot be created: a folder on its path is missing (ENOENT)";
    default:
      return `${creating ? "cannot be created" : "cannot be written"} (${code})`;
  }
}

/**
 * Why a folder could not be made: node's recursive mkdir can say ENOENT for a read-only parent,
 * so the first missing folder on the path is made alone, which gives the real error.
 */
function mkdirError(dir: string, error: unknown): string {
  let missing = dir;
  while (!existsSync(path.dirname(missing)) && path.dirname(missing) !== missing) missing = path.dirname(missing);
  try {
    mkdirSync(missing, { mode: 0o700 });
  } catch (again) {
    return errorCode(again);
  }
  return errorCode(error);
}

function uid(): string {
  return typeof process.getuid === "function" ? ` (uid ${process.getuid()})` : "";
}

/**
 * Makes the data directory and `dirs` inside it (absolute paths) when they are missing, and writes
 * and removes a small file in each, so that a read-only, unwritable or uncreatable one stops
 * start-up before anything listens, with one line naming the directory and the reason, rather
 * than every message failing later. A full disk is not refused.
 */
export function checkDataDir(dataDir: string, dirs: readonly string[] = []): void {
  for (const dir of [dataDir, ...dirs]) {
    const fail = (code: string, creating: boolean): never => {
      const where = dir === dataDir ? "it" : path.relative(dataDir, dir);
      throw new PortConfigError(
        "PORTHOST_ERR_DATA_DIR",
        `the data directory ${dataDir} (${DATA_DIR_VARIABLE}) cannot be used: ${where} ${reason(code, creating)}`,
        DATA_DIR_VARIABLE,
      );
    };
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      fail(mkdirError(dir, error), true);
    }
    const probe = path.join(dir, `.porthost-write-check-${randomBytes(6).toString("hex")}`);
    try {
      closeSync(openSync(probe, "wx", 0o600));
      unlinkSync(probe);
    } catch (error) {
      if (!FULL_DISK_CODES.has(errorCode(error))) fail(errorCode(error), false);
    }
  }
}
