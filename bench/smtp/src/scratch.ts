import { tempDir } from "@porthost/testkit";

/**
 * Every directory the benchmark writes messages to is kept until the whole run is over.
 * Deleting many files slows the creation of the next ones for minutes on ext4 without a
 * journal, as on this project's VMs: inode allocation checks each candidate inode the
 * kernel freed recently (fs/ext4/ialloc.c, recently_deleted()). Removing one target's 20,000
 * messages just before the next target runs cost that target up to half its rate, and
 * made the figures swing by 2.5x from run to run. So nothing is removed until the end.
 */
const scratch: (() => Promise<void>)[] = [];

export async function scratchDir(prefix: string): Promise<string> {
  const { dir, remove } = await tempDir(prefix);
  scratch.push(remove);
  return dir;
}

/** Removes every scratch directory: call once, when nothing more is measured. */
export async function removeScratch(): Promise<void> {
  for (const remove of scratch.splice(0)) await remove();
}
