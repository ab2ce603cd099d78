import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "@porthost/testkit";
import { testEnvelope } from "../src/testing.js";
import { MailStore } from "../src/index.js";

let root: string;
let remove: () => Promise<void>;
const stores: MailStore[] = [];
async function openStore(): Promise<MailStore> {
  const store = await MailStore.open(root);
  stores.push(store);
  return store;
}

beforeEach(async () => {
  ({ dir: root, remove } = await tempDir("porthost-removals-"));
  root = path.join(root, "Maildir");
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await remove();
});

const message = (subject: string): Readable =>
  Readable.from([`From: a@example.test\r\nTo: b@example.test\r\nSubject: ${subject}\r\n\r\nhi\r\n`]);

/** Resolves with the next id `listen` reports. */
function next(listen: (listener: (id: string) => void) => () => void): Promise<string> {
  return new Promise((resolve) => {
    const stop = listen((id) => {
      stop();
      resolve(id);
    });
  });
}

describe("removals", () => {
  it("tells a listener of a message another process deletes, and of a file removed by any tool", async () => {
    const reader = await openStore();
    const writer = await openStore();
    const one = await writer.deliver(message("one"), { envelope: testEnvelope() });
    const two = await writer.deliver(message("two"), { envelope: testEnvelope() });
    expect(await reader.count()).toBe(2);

    const deleted = next((listener) => reader.onRemoval(listener));
    await writer.delete(one.id);
    expect(await deleted).toBe(one.id);

    // A move to cur/ (marked read) is not a removal; a file unlinked behind porthost's back is.
    await writer.setSeen(two.id, true);
    const unlinked = next((listener) => reader.onRemoval(listener));
    const names = await readdir(path.join(root, "cur"));
    await rm(
      path.join(
        root,
        "cur",
        names.find((n) => n.startsWith(two.id))!,
      ),
    );
    expect(await unlinked).toBe(two.id);
    expect(await reader.count()).toBe(0);
  });

  it("tells the deleting process's own listener too (the web's delete)", async () => {
    const store = await openStore();
    const { id } = await store.deliver(message("x"), { envelope: testEnvelope() });
    const deleted = next((listener) => store.onRemoval(listener));
    await store.delete(id);
    expect(await deleted).toBe(id);
  });
});
