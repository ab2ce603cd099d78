import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "@porthost/testkit";
import { deliver, ensureMaildir, traceHeaders } from "../src/index.js";
import { testEnvelope } from "../src/testing.js";

let root: string;
let remove: () => Promise<void>;

beforeEach(async () => {
  const temp = await tempDir();
  remove = temp.remove;
  root = path.join(temp.dir, "Maildir");
  await ensureMaildir(root);
});
afterEach(() => remove());

describe("deliver", () => {
  it("writes the envelope's trace headers and every byte into new/, leaving tmp/ empty", async () => {
    const body = Buffer.concat([Buffer.from("Subject: caf\xc3\xa9\r\n\r\n", "latin1"), Buffer.alloc(200_000, 0xe9)]);
    const envelope = testEnvelope();
    const message = await deliver(root, Readable.from([body.subarray(0, 1000), body.subarray(1000)]), { envelope });
    expect(await readdir(path.join(root, "new"))).toEqual([message.id]);
    expect(await readdir(path.join(root, "tmp"))).toEqual([]);
    const stored = await readFile(message.path);
    expect(stored.equals(Buffer.concat([traceHeaders(envelope), body]))).toBe(true);
    expect(message.size).toBe(stored.length);
  });

  it("gives every message its own name", async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => deliver(root, Readable.from([Buffer.from("x")]))));
    expect(new Set(ids.map((m) => m.id)).size).toBe(20);
  });

  it("leaves nothing behind when refuse() stops the message", async () => {
    const refused = deliver(root, Readable.from([Buffer.from("too big")]), { refuse: () => new Error("refused") });
    await expect(refused).rejects.toThrow("refused");
    expect(await readdir(path.join(root, "new"))).toEqual([]);
    expect(await readdir(path.join(root, "tmp"))).toEqual([]);
  });

  it("leaves nothing behind when the stream fails midway", async () => {
    const broken = new Readable({ read() {} });
    const delivery = deliver(root, broken);
    broken.push(Buffer.from("half a message"));
    broken.destroy(new Error("client went away"));
    await expect(delivery).rejects.toThrow("client went away");
    expect(await readdir(path.join(root, "new"))).toEqual([]);
    expect(await readdir(path.join(root, "tmp"))).toEqual([]);
  });
});
