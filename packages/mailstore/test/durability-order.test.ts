import { constants } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tempDir } from "@porthost/testkit";
import { deliverySyncs, ensureMaildir } from "../src/index.js";
import { testEnvelope } from "../src/testing.js";
import { deliver } from "../src/maildir.js";

/** Every file operation a delivery makes, in the order it happened (starts and completions). */
type Step =
  | { op: "opened"; path: string; fd: number; dsync: boolean }
  | { op: "written" | "fdatasynced" | "closed" | "fsync-start" | "fsynced"; fd: number }
  | { op: "rename-start" | "renamed"; from: string; to: string }
  | { op: "resolved" };

const steps: Step[] = [];
/** A directory fsync this slow shows whether anything waits for it. */
const DIR_FSYNC_DELAY_MS = 30;

vi.mock("../src/fd-io.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../src/fd-io.js")>();
  return {
    ...real,
    async openFd(file: string, flags: string | number, mode?: number) {
      const fd = await real.openFd(file, flags, mode);
      const dsync = typeof flags === "number" && (flags & constants.O_DSYNC) !== 0;
      steps.push({ op: "opened", path: file, fd, dsync });
      return fd;
    },
    async writeFully(fd: number, buffer: Buffer) {
      await real.writeFully(fd, buffer);
      steps.push({ op: "written", fd });
    },
    async fdatasyncFd(fd: number) {
      await real.fdatasyncFd(fd);
      steps.push({ op: "fdatasynced", fd });
    },
    async fsyncFd(fd: number) {
      steps.push({ op: "fsync-start", fd });
      await sleep(DIR_FSYNC_DELAY_MS);
      await real.fsyncFd(fd);
      steps.push({ op: "fsynced", fd });
    },
    async closeFd(fd: number) {
      await real.closeFd(fd);
      steps.push({ op: "closed", fd });
    },
    async renamePath(from: string, to: string) {
      steps.push({ op: "rename-start", from, to });
      await real.renamePath(from, to);
      steps.push({ op: "renamed", from, to });
    },
  };
});

let root: string;
let remove: () => Promise<void>;
beforeEach(async () => {
  const temp = await tempDir();
  remove = temp.remove;
  root = path.join(temp.dir, "Maildir");
  await ensureMaildir(root);
  steps.length = 0;
});
afterEach(() => remove());

const envelope = testEnvelope({
  client: { address: "127.0.0.1", port: 50000, helo: "client.test" },
  server: { address: "127.0.0.1", port: 2525 },
  receivedAt: "2026-01-01T00:00:00.000Z",
});

function at(predicate: (step: Step) => boolean, what: string): number {
  const index = steps.findIndex(predicate);
  if (index === -1) throw new Error(`no step: ${what}\n${JSON.stringify(steps, null, 1)}`);
  return index;
}

/** Where the file opened at `file` became durable: its O_DSYNC write, or its fdatasync. */
function durableAt(file: string): number {
  const opened = steps[at((s) => s.op === "opened" && s.path === file, `open ${file}`)] as Step & { op: "opened" };
  const last = (op: Step["op"]): number => steps.findLastIndex((s) => s.op === op && "fd" in s && s.fd === opened.fd);
  const synced = last("fdatasynced");
  if (synced !== -1) return synced;
  expect(opened.dsync).toBe(true);
  return last("written");
}

function fsyncOf(dir: string, op: "fsync-start" | "fsynced"): number {
  const opened = steps.find((s) => s.op === "opened" && s.path === dir) as (Step & { op: "opened" }) | undefined;
  return at((s) => s.op === op && "fd" in s && s.fd === opened?.fd, `${op} ${dir}`);
}

describe("deliver's durability order", () => {
  for (const [label, bytes] of [
    ["a small message (one O_DSYNC write)", 2_000],
    ["a large message (batches, then fdatasync)", 300_000],
  ] as const) {
    it(`makes ${label}, envelope on top, durable, renames it, fsyncs new/ and only then resolves`, async () => {
      const body = Buffer.alloc(bytes, "x");
      const syncs = deliverySyncs(root);
      const delivered = await deliver(root, Readable.from([body.subarray(0, 1000), body.subarray(1000)]), {
        envelope,
        syncs,
      }).then((message) => {
        steps.push({ op: "resolved" });
        return message;
      });
      await syncs.newDir.close();

      const tmp = path.join(root, "tmp", delivered.id);
      const renameStart = at((s) => s.op === "rename-start" && s.from === tmp, "rename from tmp/");
      const renamed = at((s) => s.op === "renamed" && s.from === tmp, "renamed");
      const resolved = at((s) => s.op === "resolved", "resolved");
      expect((steps[renameStart] as Step & { to: string }).to).toBe(delivered.path);

      expect(durableAt(tmp)).toBeLessThan(renameStart);
      expect(fsyncOf(path.join(root, "new"), "fsync-start")).toBeGreaterThan(renamed);
      expect(fsyncOf(path.join(root, "new"), "fsynced")).toBeLessThan(resolved);
      // One file per message: the envelope is in it, and no other file is made.
      expect(steps.filter((s) => s.op === "opened" && s.path.startsWith(path.join(root, "tmp")))).toHaveLength(1);
      expect(await readFile(delivered.path, "latin1")).toMatch(
        /^Return-Path: <ann@example\.test>\r\nDelivered-To: bob@example\.test\r\nReceived: /,
      );
    });
  }

  it("lets concurrent deliveries share directory fsyncs (group commit)", async () => {
    const syncs = deliverySyncs(root);
    const count = 20;
    await Promise.all(
      Array.from({ length: count }, () =>
        deliver(root, Readable.from([Buffer.from("Subject: x\r\n\r\nx\r\n")]), { syncs }),
      ),
    );
    await syncs.newDir.close();
    const fsyncs = steps.filter((s) => s.op === "fsynced").length;
    expect(fsyncs).toBeGreaterThan(0);
    expect(fsyncs).toBeLessThan(count);
  });
});
