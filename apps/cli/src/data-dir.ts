import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_DATA_DIR, formatAddress, type PorthostConfig } from "@porthost/ports";
import { maildirRoot } from "@porthost/mailstore";

/** How long `porthost mail` waits for the web service to say where its data is. */
export const ASK_WEB_TIMEOUT_MS = 1_000; // 1 s

/** Where `porthost mail` reads, and how it found it (said when there is no mail there). */
export interface FoundDataDir {
  readonly dir: string;
  readonly how: string;
}

/** The porthost checkout the directory is in: the nearest folder up whose package.json is the monorepo's. */
export function repositoryRoot(from: string): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: unknown };
      if (manifest.name === "porthost") return dir;
    } catch {
      // No package.json here (or not JSON): look further up.
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The data directory the running web service reports in GET /api/ports, if one answers. */
async function askWebService(config: PorthostConfig): Promise<string | undefined> {
  const url = `http://${formatAddress(config.services.http.addr)}/api/ports`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(ASK_WEB_TIMEOUT_MS) });
    if (!response.ok) return undefined;
    const reply = (await response.json()) as { dataDir?: unknown };
    return typeof reply.dataDir === "string" ? reply.dataDir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The data directory the running services use, not `./data` of wherever the command runs:
 * PORTHOST_DATA_DIR when it is set; else the one the web service on this machine reports (when
 * that folder is here too: under compose it is the container's); else `data` at the root of the
 * porthost checkout the command runs in (where `npm start` keeps it); else `./data`.
 */
export async function findDataDir(config: PorthostConfig, cwd: string = process.cwd()): Promise<FoundDataDir> {
  if (config.dataDir !== path.resolve(cwd, DEFAULT_DATA_DIR)) return { dir: config.dataDir, how: "PORTHOST_DATA_DIR" };
  const reported = await askWebService(config);
  if (reported !== undefined && existsSync(maildirRoot(reported))) {
    return { dir: reported, how: `the web service at ${formatAddress(config.services.http.addr)}` };
  }
  const root = repositoryRoot(cwd);
  if (root !== undefined) return { dir: path.resolve(root, DEFAULT_DATA_DIR), how: "the porthost checkout's root" };
  return { dir: config.dataDir, how: "the current directory" };
}
