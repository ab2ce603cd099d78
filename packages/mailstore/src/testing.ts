import { execFile } from "node:child_process";
import { mkdtemp, open, rmdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Envelope } from "./message-schemas.js";

const execFileAsync = promisify(execFile);

/**
 * An SMTP envelope for tests and benchmarks (`@porthost/mailstore/testing`): ann to bob over
 * plain ESMTP, received now; `change` sets any field.
 */
export function testEnvelope(change: Partial<Envelope> = {}): Envelope {
  return {
    mailFrom: "ann@example.test",
    rcptTo: ["bob@example.test"],
    client: { address: "127.0.0.1", port: 40000, helo: "client.test" },
    server: { address: "127.0.0.1", port: 8025 },
    tls: null,
    authUser: null,
    receivedAt: new Date().toISOString(),
    smtputf8: false,
    body: null,
    ...change,
  };
}

export interface SmallDisk {
  /** Where the file system is mounted: an empty folder of its own. */
  readonly dir: string;
  /** Takes every free block, then every free inode: nothing more can be written or created. Again after a deletion. */
  fill(): Promise<void>;
  /** Unmounts it and removes the folder. */
  unmount(): Promise<void>;
}

const FILL_CHUNK = Buffer.alloc(64 * 1024); // 64 KiB
const isFull = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === "ENOSPC";

/**
 * A tmpfs of `bytes` with `inodes` inodes on a fresh folder, to test a full disk for real
 * (`@porthost/mailstore/testing`); undefined when mounting is not allowed (not root).
 */
export async function mountSmallDisk(bytes: number, inodes: number): Promise<SmallDisk | undefined> {
  const dir = await mkdtemp(path.join(tmpdir(), "porthost-small-disk-"));
  try {
    await execFileAsync("mount", ["-t", "tmpfs", "-o", `size=${bytes},nr_inodes=${inodes},mode=0700`, "tmpfs", dir]);
  } catch {
    await rmdir(dir);
    return undefined;
  }
  let fillers = 0;
  return {
    dir,
    async fill() {
      const handle = await open(path.join(dir, "filler"), "a");
      try {
        for (;;) await handle.write(FILL_CHUNK);
      } catch (error) {
        if (!isFull(error)) throw error;
      } finally {
        await handle.close();
      }
      for (;;) {
        try {
          await (await open(path.join(dir, `filler-${fillers++}`), "wx")).close();
        } catch (error) {
          if (isFull(error)) return;
          throw error;
        }
      }
    },
    async unmount() {
      await execFileAsync("umount", [dir]);
      await rmdir(dir);
    },
  };
}
