import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { tempDir } from "@porthost/testkit";

/**
 * A temporary folder to serve, holding `files` by name (a name may have folders: `docs/index.html`).
 * They are written before the web service starts: a change to the folder empties its file cache.
 */
export async function publicSite(
  files: Readonly<Record<string, string | Buffer>>,
): Promise<{ root: string; remove: () => Promise<void> }> {
  const temp = await tempDir();
  const root = path.join(temp.dir, "public");
  await mkdir(root);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), content);
  }
  return { root, remove: temp.remove };
}
