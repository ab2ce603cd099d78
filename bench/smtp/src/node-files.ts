import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { scratchDir } from "./scratch.js";
import { MESSAGE_BYTES } from "./smtp-source.js";

/**
 * The file steps of a delivery as Node.js's fs does them, with nothing synced: 2 KB written to
 * tmp/ and renamed into new/, by `concurrency` callers at once (what a catcher that does not
 * sync, such as MailDev, pays per message for its file). A durable store through the same
 * API cannot be faster than this; set beside the C figure, it shows what Node's threadpool adds.
 */
export async function nodeFilesUnsynced(files: number, concurrency: number): Promise<number> {
  const root = await scratchDir("porthost-bench-node-files-");
  await Promise.all(["tmp", "new"].map((sub) => mkdir(path.join(root, sub))));
  const body = Buffer.alloc(MESSAGE_BYTES, "x");
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < files) {
        const name = String(next++);
        await writeFile(path.join(root, "tmp", name), body, { flag: "wx" });
        await rename(path.join(root, "tmp", name), path.join(root, "new", name));
      }
    }),
  );
  return files / ((performance.now() - started) / 1000);
}
