import fs from "node:fs";
import { promisify } from "node:util";

/**
 * The callback fs API on plain descriptors, promisified: a delivery does several file
 * operations, and FileHandle (fs/promises) costs several times more CPU per operation.
 */
export const openFd = promisify(fs.open);
export const closeFd = promisify(fs.close);
export const fdatasyncFd = promisify(fs.fdatasync);
export const fsyncFd = promisify(fs.fsync);
export const renamePath = promisify(fs.rename);
export const unlinkPath = promisify(fs.unlink);

/** Whether a file operation failed because the path is not there (ENOENT). */
export function isMissing(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "ENOENT";
}

/** Writes the whole buffer, however many write(2) calls it takes. */
export async function writeFully(fd: number, buffer: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buffer.length) {
    offset += await new Promise<number>((resolve, reject) =>
      fs.write(fd, buffer, offset, buffer.length - offset, null, (error, written) =>
        error ? reject(error) : resolve(written),
      ),
    );
  }
}
