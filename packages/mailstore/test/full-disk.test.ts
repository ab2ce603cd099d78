import { open, readdir } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { LOCK_DIR, LOCK_SUFFIX, lockMaildrop, MailStore, prepareMaildropLocks } from "../src/index.js";
import { mountSmallDisk, testEnvelope, type SmallDisk } from "../src/testing.js";

let disk: SmallDisk | undefined;
const stores: MailStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  await disk?.unmount();
  disk = undefined;
});

async function openStore(root: string): Promise<MailStore> {
  const store = await MailStore.open(root, { watch: false });
  stores.push(store);
  return store;
}

function message(subject: string): Readable {
  return Readable.from([Buffer.from(`Subject: ${subject}\r\n\r\n${"body line\r\n".repeat(200)}`)]);
}

describe("a full disk (a real tmpfs with no free block and no free inode)", () => {
  it("still lets a reader lock its maildrop, read, delete and unlock; a delivery fails and leaves nothing", async (context) => {
    disk = await mountSmallDisk(1024 * 1024, 64);
    if (!disk) return context.skip("mounting a tmpfs needs root");
    const root = path.join(disk.dir, "Maildir");
    const smtp = await openStore(root);
    const ids: string[] = [];
    for (const subject of ["a", "b", "c"]) ids.push((await smtp.deliver(message(subject))).id);
    // POP3 does this at start-up, while there is room.
    await prepareMaildropLocks(root);
    await disk.fill();
    await expect(open(path.join(disk.dir, "one-more"), "wx")).rejects.toMatchObject({ code: "ENOSPC" });

    await expect(smtp.deliver(message("d"), { envelope: testEnvelope() })).rejects.toMatchObject({ code: "ENOSPC" });
    expect(await readdir(path.join(root, "tmp"))).toEqual([]);

    const lock = await lockMaildrop(root, "shared");
    expect(lock).toBeDefined();
    expect(await lockMaildrop(root, "shared")).toBeUndefined();
    const reader = await openStore(root);
    expect((await reader.all()).map((m) => m.id)).toEqual(ids);
    expect((await reader.raw(ids[0]!))?.toString()).toContain("Subject: a");
    expect(await reader.delete(ids[0]!)).toBe(true);
    await lock!.release();
    expect((await readdir(path.join(root, LOCK_DIR))).filter((name) => name.endsWith(LOCK_SUFFIX))).toEqual([]);

    // Another program (the web, the CLI) opens the store on the full disk, lists and deletes.
    const web = await openStore(root);
    expect((await web.list()).total).toBe(2);
    expect(await web.delete(ids[1]!)).toBe(true);
    expect(await web.count()).toBe(1);
    // The next login takes the spare the last one gave back.
    const again = await lockMaildrop(root, "shared");
    expect(again).toBeDefined();
    await again!.release();
  });
});
