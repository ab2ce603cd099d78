import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createHash } from "node:crypto";
import { mkdir, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir, waitForOutput } from "@porthost/testkit";
import {
  LOCK_DIR,
  LOCK_STALE_MS,
  LOCK_SUFFIX,
  lockMaildrop,
  prepareMaildropLocks,
  SPARE_LOCKS,
  type MaildropLock,
} from "../src/index.js";

const LOCK_MODULE = fileURLToPath(new URL("../src/maildrop-lock.ts", import.meta.url));

let root: string;
let remove: () => Promise<void>;
const locks: MaildropLock[] = [];
const children: ChildProcess[] = [];

beforeEach(async () => {
  ({ dir: root, remove } = await tempDir("porthost-lock-"));
});
afterEach(async () => {
  await Promise.all(locks.splice(0).map((lock) => lock.release()));
  for (const child of children.splice(0)) child.kill("SIGKILL");
  await remove();
});

async function lock(maildrop: string): Promise<MaildropLock | undefined> {
  const taken = await lockMaildrop(root, maildrop);
  if (taken) locks.push(taken);
  return taken;
}

/** The shared maildrop's lock file, written as another holder would write it. */
async function plantLock(owner: Record<string, unknown>): Promise<string> {
  const name = `${createHash("sha256").update("shared").digest("hex").slice(0, 32)}.lock`;
  const file = path.join(root, LOCK_DIR, name, "owner");
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify({ since: new Date().toISOString(), ...owner }));
  return file;
}

/** A pid that belonged to a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await once(child, "exit");
  return child.pid!;
}

describe("lockMaildrop", () => {
  it("gives one holder per maildrop and lets the next one in after release", async () => {
    const first = await lock("shared");
    expect(first?.maildrop).toBe("shared");
    expect(await lock("shared")).toBeUndefined();
    expect(await lock("bob@example.test")).toBeDefined();
    await first!.release();
    await first!.release();
    expect(await lock("shared")).toBeDefined();
  });

  it("names lock files by digest, so no maildrop name reaches outside the lock directory", async () => {
    expect(await lock("../../etc/passwd")).toBeDefined();
    const names = (await readdir(path.join(root, LOCK_DIR))).filter((name) => name.endsWith(LOCK_SUFFIX));
    expect(names).toEqual([expect.stringMatching(/^[0-9a-f]{32}\.lock$/)]);
  });

  it("refuses while another process on this host holds it, and takes it over once that process is gone", async () => {
    const script = `import { lockMaildrop } from ${JSON.stringify(LOCK_MODULE)};
      const lock = await lockMaildrop(${JSON.stringify(root)}, "shared");
      process.stdout.write(lock ? "locked\\n" : "refused\\n");
      setInterval(() => undefined, 1000);`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    await waitForOutput(child.stdout!, /locked/, 15_000);
    expect(await lock("shared")).toBeUndefined();
    child.kill("SIGKILL");
    await once(child, "exit");
    expect(await lock("shared")).toBeDefined();
  });

  it("takes over a lock left by a dead pid, by this pid before a restart, or untouched for too long", async () => {
    const host = hostname();
    await plantLock({ pid: await deadPid(), host, instance: "x" });
    expect(await lock("shared")).toBeDefined();
    await locks.pop()!.release();

    await plantLock({ pid: process.pid, host, instance: "a previous run" });
    expect(await lock("shared")).toBeDefined();
    await locks.pop()!.release();

    const file = await plantLock({ pid: 1, host: "another-container", instance: "y" });
    expect(await lock("shared")).toBeUndefined();
    const old = new Date(Date.now() - LOCK_STALE_MS - 1_000);
    await utimes(file, old, old);
    expect(await lock("shared")).toBeDefined();
  });

  it("keeps a lock whose process runs here, and one whose owner cannot be read until it is untouched too long", async () => {
    await plantLock({ pid: process.ppid, host: hostname(), instance: "parent" });
    expect(await lock("shared")).toBeUndefined();
    const file = await plantLock({});
    await writeFile(file, "");
    expect(await lock("shared")).toBeUndefined();
    const old = new Date(Date.now() - LOCK_STALE_MS - 1_000);
    await utimes(file, old, old);
    expect(await lock("shared")).toBeDefined();
  });

  it("takes over a lock file left by an earlier porthost, and needs no room: each lock is a spare renamed", async () => {
    const dir = path.join(root, LOCK_DIR);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, `${createHash("sha256").update("shared").digest("hex").slice(0, 32)}.lock`), "{");
    await prepareMaildropLocks(root);
    const spares = (await readdir(dir)).filter((name) => name.endsWith(".token"));
    expect(spares.length).toBeGreaterThanOrEqual(SPARE_LOCKS);
    expect(await lock("shared")).toBeDefined();
    expect((await readdir(dir)).filter((name) => name.endsWith(".token"))).toHaveLength(spares.length - 1);
    await locks.pop()!.release();
    expect((await readdir(dir)).filter((name) => name.endsWith(".token"))).toHaveLength(spares.length);
  });

  it("makes a new spare when its spares were removed behind its back (with room to)", async () => {
    await prepareMaildropLocks(root);
    const dir = path.join(root, LOCK_DIR);
    for (const name of await readdir(dir)) await rm(path.join(dir, name), { recursive: true });
    expect(await lock("shared")).toBeDefined();
    expect(await lock("shared")).toBeUndefined();
  });
});
