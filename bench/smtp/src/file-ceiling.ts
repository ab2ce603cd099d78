import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { scratchDir } from "./scratch.js";

const run = promisify(execFile);
const SOURCE = fileURLToPath(new URL("./file-ceiling.c", import.meta.url));

export interface FileCeiling {
  /** Files per second with each one durable before the next (O_DSYNC, fsync of new/). */
  readonly durable: number;
  /** Files per second with nothing synced. */
  readonly unsynced: number;
}

/** Compiles the C probe once (cc from build-essential), or says why it cannot. */
export async function buildFileCeiling(): Promise<{ probe?: string; why?: string }> {
  const probe = `${await scratchDir("porthost-bench-ceiling-")}/file-ceiling`;
  try {
    await run("cc", ["-O2", "-pthread", "-o", probe, SOURCE]);
    return { probe };
  } catch (error) {
    return { why: `cc could not build ${SOURCE}: ${(error as Error).message.split("\n")[0]}` };
  }
}

/**
 * The filesystem's ceiling for one file per message at this concurrency, measured by a C
 * program (file-ceiling.c) in a fresh directory beside the benchmark's others, so neither
 * Node.js nor SMTP is part of it.
 */
export async function fileCeiling(probe: string, threads: number, files: number): Promise<FileCeiling> {
  const rate = async (mode: "durable" | "none"): Promise<number> => {
    const { stdout } = await run(probe, [
      await scratchDir("porthost-bench-files-"),
      String(threads),
      String(files),
      mode,
    ]);
    return Number(stdout.trim());
  };
  return { durable: await rate("durable"), unsynced: await rate("none") };
}
