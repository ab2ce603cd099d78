import { randomBytes } from "node:crypto";
import { chmod, link, readFile, rename, unlink, writeFile } from "node:fs/promises";
import path from "node:path";

/** Private keys: readable and writable by their owner only. */
export const KEY_FILE_MODE = 0o600;
/** Certificates are public. */
export const CERT_FILE_MODE = 0o644;

function code(error: unknown): string | undefined {
  return (error as { code?: string }).code;
}

/** A file's text, or undefined when it does not exist. */
export async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if (code(error) === "ENOENT") return undefined;
    throw error;
  }
}

/** Writes a whole file beside `file` under a name nobody else picks, with its mode set whatever the umask. */
async function writeTemp(file: string, text: string, mode: number): Promise<string> {
  const temp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}`,
  );
  await writeFile(temp, text, { mode, flag: "wx" });
  await chmod(temp, mode);
  return temp;
}

/**
 * Publishes `text` as `file` only if `file` does not exist yet (a hard link fails with EEXIST,
 * unlike rename), so processes that race converge on the first one's file. Returns the text
 * that is there afterwards: ours, or the winner's.
 */
export async function createOnce(file: string, text: string, mode: number): Promise<string> {
  const temp = await writeTemp(file, text, mode);
  try {
    await link(temp, file);
    return text;
  } catch (error) {
    if (code(error) !== "EEXIST") throw error;
    return await readFile(file, "utf8");
  } finally {
    await unlink(temp);
  }
}

/** Replaces `file` whole: a reader sees the old text or the new, never part of one. */
export async function replace(file: string, text: string, mode: number): Promise<void> {
  const temp = await writeTemp(file, text, mode);
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp);
    throw error;
  }
}
