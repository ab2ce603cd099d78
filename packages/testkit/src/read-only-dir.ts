import { execFileSync } from "node:child_process";
import { chmod, readdir } from "node:fs/promises";
import path from "node:path";
import { tempDir } from "./index.js";

async function chmodTree(dir: string, mode: number): Promise<void> {
  await chmod(dir, mode);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await chmodTree(path.join(dir, entry.name), mode);
  }
}

/**
 * A directory nobody can write into, with what `prepare` put in it first (an existing Maildir,
 * say). As root, which ignores file modes, it is bound onto itself and remounted read-only
 * (writes fail with EROFS); as anyone else its folders lose their write bits (EACCES).
 * `remove` unmounts it and deletes it.
 */
export async function readOnlyDir(
  prepare: (dir: string) => Promise<void> = async () => undefined,
): Promise<{ dir: string; remove: () => Promise<void> }> {
  const { dir, remove } = await tempDir("porthost-readonly-");
  await prepare(dir);
  if (process.getuid?.() === 0) {
    execFileSync("mount", ["--bind", dir, dir]);
    execFileSync("mount", ["-o", "remount,ro,bind", dir]);
    return {
      dir,
      async remove() {
        execFileSync("umount", [dir]);
        await remove();
      },
    };
  }
  await chmodTree(dir, 0o555);
  return {
    dir,
    async remove() {
      await chmodTree(dir, 0o755);
      await remove();
    },
  };
}
