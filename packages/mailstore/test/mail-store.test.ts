import { mkdir, readdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "@porthost/testkit";
import { testEnvelope } from "../src/testing.js";
import { MailStore, pruneMargin, RECIPIENT_DELETIONS_DIR, SUMMARY_FILE, type Envelope } from "../src/index.js";

const CRLF = "\r\n";

function message(subject: string, extra: { to?: string; body?: string; headers?: string[] } = {}): Readable {
  return Readable.from([
    Buffer.from(
      [
        "From: Ann Example <ann@example.test>",
        `To: ${extra.to ?? "bob@example.test"}`,
        `Subject: ${subject}`,
        "Message-ID: <m1@example.test>",
        ...(extra.headers ?? []),
        "",
        extra.body ?? "hello",
        "",
      ].join(CRLF),
    ),
  ]);
}

const envelope = (rcptTo?: string[]): Envelope => testEnvelope(rcptTo ? { rcptTo } : {});

let root: string;
let remove: () => Promise<void>;
const stores: MailStore[] = [];
async function openStore(options: Parameters<typeof MailStore.open>[1] = {}): Promise<MailStore> {
  const store = await MailStore.open(root, options);
  stores.push(store);
  return store;
}

beforeEach(async () => {
  ({ dir: root, remove } = await tempDir("porthost-mailstore-"));
  root = path.join(root, "Maildir");
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await remove();
});

describe("MailStore", () => {
  it("delivers into new/ with its envelope on top as trace headers, and reads it back", async () => {
    const store = await openStore();
    const sent = envelope(["bob@example.test", "hidden@example.test"]);
    // A message that already carries a trace header of its own (it was relayed once).
    const relayed = Readable.from([
      Buffer.from(`Received: from test${CRLF}`),
      ...((await message("=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=").toArray()) as Buffer[]),
    ]);
    const delivered = await store.deliver(relayed, { envelope: sent });
    expect(await readdir(path.join(root, "new"))).toEqual([delivered.id]);
    expect(await readdir(path.join(root, "tmp"))).toEqual([]);
    expect((await readdir(root)).sort()).toEqual(["cur", "new", "tmp"]);

    const page = await store.list();
    expect(page.total).toBe(1);
    expect(page.nextCursor).toBeNull();
    const [summary] = page.messages;
    expect(summary).toMatchObject({
      id: delivered.id,
      from: "Ann Example <ann@example.test>",
      to: ["bob@example.test"],
      subject: "Grüße",
      flags: "",
      size: delivered.size,
    });
    expect(summary?.envelope).toEqual(sent);
    expect(await store.envelope(delivered.id)).toEqual(sent);

    const raw = (await store.raw(delivered.id))?.toString();
    expect(raw).toMatch(
      /^Return-Path: <ann@example\.test>\r\nDelivered-To: bob@example\.test\r\nDelivered-To: hidden@example\.test\r\nReceived: from client\.test /,
    );
    expect(raw).toMatch(/\r\nReceived: from test\r\nFrom: Ann/);
    const parsed = await store.get(delivered.id);
    expect(parsed?.text?.trim()).toBe("hello");
    expect(parsed?.headers.map((h) => h.name).slice(0, 5)).toEqual([
      "Return-Path",
      "Delivered-To",
      "Delivered-To",
      "Received",
      "Received",
    ]);
    expect(parsed?.headers.find((h) => h.name === "Subject")?.value).toBe("Grüße");
  });

  it("returns attachments' metadata and bytes", async () => {
    const store = await openStore();
    const payload = Buffer.from([0, 1, 2, 255, 254]);
    const body = [
      "--b",
      "Content-Type: text/plain",
      "",
      "see attached",
      "--b",
      "Content-Type: application/octet-stream",
      'Content-Disposition: attachment; filename="data.bin"',
      "Content-Transfer-Encoding: base64",
      "",
      payload.toString("base64"),
      "--b--",
    ].join(CRLF);
    const { id } = await store.deliver(
      message("files", { headers: ["MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="b"'], body }),
    );
    const parsed = await store.get(id);
    expect(parsed?.attachments).toEqual([
      expect.objectContaining({ index: 0, filename: "data.bin", contentType: "application/octet-stream", size: 5 }),
    ]);
    expect((await store.attachment(id, 0))?.content).toEqual(payload);
    expect(await store.attachment(id, 1)).toBeUndefined();
  });

  it("lists newest first in pages and filters by from, to and subject", async () => {
    const store = await openStore();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push(
        (await store.deliver(message(`note ${i}`, { to: i % 2 ? "odd@example.test" : "even@example.test" }))).id,
      );
    }
    const first = await store.list({ limit: 3 });
    expect(first.messages.map((m) => m.subject)).toEqual(["note 6", "note 5", "note 4"]);
    expect(first.total).toBe(7);
    const second = await store.list({ limit: 3, cursor: first.nextCursor ?? "" });
    expect(second.messages.map((m) => m.subject)).toEqual(["note 3", "note 2", "note 1"]);
    const third = await store.list({ limit: 3, cursor: second.nextCursor ?? "" });
    expect(third.messages.map((m) => m.subject)).toEqual(["note 0"]);
    expect(third.nextCursor).toBeNull();

    const odd = await store.list({ query: "ODD@", limit: 2 });
    expect(odd.total).toBe(3);
    expect(odd.messages.map((m) => m.subject)).toEqual(["note 5", "note 3"]);
    expect((await store.list({ query: "note 4" })).messages.map((m) => m.id)).toEqual([ids[4]]);
    expect((await store.list({ query: "ann example" })).total).toBe(7);
    expect((await store.list({ query: "nobody" })).total).toBe(0);
  });

  it("a cursor whose message was deleted still continues the list", async () => {
    const store = await openStore();
    for (let i = 0; i < 4; i++) await store.deliver(message(`m${i}`));
    const first = await store.list({ limit: 2 });
    await store.delete(first.nextCursor ?? "");
    const next = await store.list({ limit: 2, cursor: first.nextCursor ?? "" });
    expect(next.messages.map((m) => m.subject)).toEqual(["m1", "m0"]);
  });

  it("deletes one and all", async () => {
    const store = await openStore();
    const a = await store.deliver(message("a"), { envelope: envelope() });
    await store.deliver(message("b"), { envelope: envelope() });
    await store.deliver(message("c"));
    expect(await store.delete(a.id)).toBe(true);
    expect(await store.delete(a.id)).toBe(false);
    expect(await store.get(a.id)).toBeUndefined();
    expect(await store.count()).toBe(2);
    expect(await store.deleteAll()).toBe(2);
    expect(await readdir(path.join(root, "new"))).toEqual([]);
  });

  it("keeps at most maxMessages, pruning the oldest", async () => {
    const store = await openStore({ maxMessages: 3 });
    for (let i = 0; i < 5; i++) await store.deliver(message(`m${i}`), { envelope: envelope() });
    await store.pruned();
    const page = await store.list();
    expect(page.messages.map((m) => m.subject)).toEqual(["m4", "m3", "m2"]);
    expect(await readdir(path.join(root, "new"))).toHaveLength(3);
  });

  it("lets the Maildir grow past maxMessages by its margin, then prunes the oldest down to the limit in one batch", async () => {
    const max = 20;
    const margin = pruneMargin(max);
    expect(margin).toBe(2);
    const store = await openStore({ maxMessages: max });
    const files = async (): Promise<number> => (await readdir(path.join(root, "new"))).length;
    const counts: number[] = [];
    for (let i = 0; i < max + 2 * (margin + 1); i++) {
      await store.deliver(message(`m${i}`), { envelope: envelope() });
      await store.pruned();
      counts.push(await files());
    }
    // Up to max + margin nothing goes; the next delivery starts a prune back to max, and so on.
    expect(counts.slice(max - 1)).toEqual([20, 21, 22, 20, 21, 22, 20]);
    const page = await store.list({ limit: 100 });
    expect(page.messages.at(-1)?.subject).toBe("m6"); // the newest 20 of 26
  });

  it("keeps up with many deliveries at once: the Maildir never passes the limit by more than two margins and what is in flight", async () => {
    const max = 300;
    const concurrency = 100; // as smtp-source -s 100, each delivery fsyncs and holds the threadpool
    const store = await openStore({ maxMessages: max });
    // Past two margins a delivery waits for the prune, so each sender adds at most one more.
    const bound = max + 2 * pruneMargin(max) + concurrency;
    let seen = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < 8 * max) {
          next += 1;
          await store.deliver(message(`m${next}`), { envelope: envelope() });
          seen = Math.max(seen, await store.count());
        }
      }),
    );
    await store.pruned();
    expect(seen).toBeLessThanOrEqual(bound);
    expect((await readdir(path.join(root, "new"))).length).toBeLessThanOrEqual(bound);
  }, 120_000);

  it("a refused delivery leaves nothing behind", async () => {
    const store = await openStore();
    const refusal = new Error("too big");
    let chunks = 0;
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < 10; i++) {
          chunks++;
          yield Buffer.alloc(1024, 120);
        }
      })(),
    );
    await expect(
      store.deliver(source, { refuse: () => (chunks > 2 ? refusal : undefined), envelope: envelope() }),
    ).rejects.toBe(refusal);
    expect(chunks).toBe(10);
    for (const sub of ["tmp", "new", "cur"]) expect(await readdir(path.join(root, sub))).toEqual([]);
    expect(await store.count()).toBe(0);
  });

  it.each([true, false])("sees deliveries, moves and deletions by another process (watch: %s)", async (watch) => {
    const writer = await openStore({ watch });
    const reader = await openStore({ watch });
    expect((await reader.list()).total).toBe(0);
    const { id } = await writer.deliver(message("from the writer"));
    expect((await reader.list()).messages.map((m) => m.id)).toEqual([id]);

    // A reader such as mutt marks it seen: new/ -> cur/ with flags; the id stays.
    await rename(path.join(root, "new", id), path.join(root, "cur", `${id}:2,S`));
    const moved = await reader.list();
    expect(moved.messages[0]).toMatchObject({ id, flags: "S" });
    expect((await reader.raw(id))?.toString()).toContain("from the writer");

    expect(await writer.delete(id)).toBe(true);
    expect((await reader.list()).total).toBe(0);
    expect(await reader.get(id)).toBeUndefined();
  });

  it("rebuilds its index from the Maildir at start, foreign files included; drops an old envelope directory", async () => {
    const first = await openStore();
    const ours = await first.deliver(message("ours"), { envelope: envelope() });
    await first.close();
    const foreign = "1700000000.M1P1Q1.other-host";
    await writeFile(path.join(root, "cur", `${foreign}:2,RS`), `Subject: foreign${CRLF}${CRLF}body${CRLF}`);
    await mkdir(path.join(root, "porthost-envelopes"));
    await writeFile(path.join(root, "porthost-envelopes", "1700000001.M1P1Q1.gone.json"), JSON.stringify(envelope()));
    await writeFile(path.join(root, "new", ".hidden"), "not a message");

    const store = await openStore();
    const page = await store.list();
    expect(page.messages.map((m) => [m.id, m.subject, m.flags])).toEqual([
      [ours.id, "ours", ""],
      [foreign, "foreign", "RS"],
    ]);
    expect(page.messages[0]?.envelope).toMatchObject({ mailFrom: "ann@example.test", rcptTo: ["bob@example.test"] });
    expect(page.messages[1]?.envelope).toBeNull();
    expect((await readdir(root)).filter((name) => name !== SUMMARY_FILE).sort()).toEqual(["cur", "new", "tmp"]);
    expect(page.messages[1]?.receivedAt).toBe("2023-11-14T22:13:20.000Z");
    expect(await readFile(path.join(root, "cur", `${foreign}:2,RS`), "utf8")).toContain("foreign");
  });

  it("never resolves ids outside the Maildir", async () => {
    const store = await openStore();
    await store.deliver(message("x"));
    for (const id of ["../new", "..", "/etc/passwd", "new/../../x", ""]) {
      expect(await store.get(id)).toBeUndefined();
      expect(await store.raw(id)).toBeUndefined();
      expect(await store.delete(id)).toBe(false);
    }
  });
  it("all(): every message oldest first, or only those for one recipient by envelope or, without one, by To/Cc", async () => {
    const store = await openStore();
    const a = await store.deliver(message("to bob"), { envelope: envelope(["Bob@Example.test"]) });
    const b = await store.deliver(message("bcc carol", { to: "bob@example.test" }), {
      envelope: envelope(["carol@example.test"]),
    });
    await writeFile(
      path.join(root, "new", "1.M1P1Q1.foreign"),
      `To: Bob <bob@example.test>${CRLF}Cc: dave@example.test${CRLF}Subject: foreign${CRLF}${CRLF}x${CRLF}`,
    );
    const all = await store.all();
    expect(all.map((m) => m.subject)).toEqual(["foreign", "to bob", "bcc carol"]);
    expect(all.map((m) => m.size)).toEqual([expect.any(Number), a.size, b.size]);
    expect((await store.all({ recipient: "bob@example.test" })).map((m) => m.subject)).toEqual(["foreign", "to bob"]);
    expect((await store.all({ recipient: "CAROL@example.test" })).map((m) => m.id)).toEqual([b.id]);
    expect((await store.all({ recipient: "dave@example.test" })).map((m) => m.subject)).toEqual(["foreign"]);
    expect(await store.all({ recipient: "nobody@example.test" })).toEqual([]);
  });

  it("deleteFor(): a message leaves one recipient's view; the file goes with its last recipient's delete", async () => {
    const store = await openStore();
    const shared = await store.deliver(message("for three"), {
      envelope: envelope(["ann@example.test", "Bob@example.test", "carol@example.test"]),
    });
    const alone = await store.deliver(message("for ann"), { envelope: envelope(["ann@example.test"]) });
    const subjects = async (recipient: string): Promise<string[]> =>
      (await store.all({ recipient })).map((m) => m.subject);

    expect(await store.deleteFor(shared.id, "ANN@example.test")).toBe(true);
    expect(await subjects("ann@example.test")).toEqual(["for ann"]);
    expect(await subjects("bob@example.test")).toEqual(["for three"]);
    // Another process (POP3 beside the web service) sees the same views.
    const other = await openStore();
    expect((await other.all({ recipient: "ann@example.test" })).map((m) => m.subject)).toEqual(["for ann"]);
    expect((await other.all()).length).toBe(2);
    // A message not addressed to the recipient is left alone; an unknown id is false.
    expect(await store.deleteFor(shared.id, "dave@example.test")).toBe(true);
    expect(await store.deleteFor("no-such-id", "ann@example.test")).toBe(false);

    expect(await store.deleteFor(shared.id, "<bob@example.test>")).toBe(true);
    expect(await readdir(path.join(root, "new"))).toContain(shared.id);
    expect(await store.deleteFor(shared.id, "carol@example.test")).toBe(true);
    expect(await readdir(path.join(root, "new"))).toEqual([alone.id]);
    expect(await readdir(path.join(root, RECIPIENT_DELETIONS_DIR))).toEqual([]);
    // A message with a single recipient goes at once, leaving no record.
    expect(await store.deleteFor(alone.id, "ann@example.test")).toBe(true);
    expect(await readdir(path.join(root, "new"))).toEqual([]);
  });

  it("drops a partly deleted message's records when the message itself is deleted or pruned", async () => {
    const store = await openStore({ maxMessages: 2 });
    const first = await store.deliver(message("first"), { envelope: envelope(["a@example.test", "b@example.test"]) });
    const second = await store.deliver(message("second"), { envelope: envelope(["a@example.test", "b@example.test"]) });
    await store.deleteFor(first.id, "a@example.test");
    await store.deleteFor(second.id, "a@example.test");
    expect((await readdir(path.join(root, RECIPIENT_DELETIONS_DIR))).sort()).toEqual([first.id, second.id].sort());
    expect(await store.delete(second.id)).toBe(true);
    // Two more than the limit and its margin of one: the oldest, `first`, is pruned.
    await store.deliver(message("third"), { envelope: envelope(["a@example.test"]) });
    await store.deliver(message("fourth"), { envelope: envelope(["a@example.test"]) });
    await store.deliver(message("fifth"), { envelope: envelope(["a@example.test"]) });
    await store.pruned();
    expect(await store.count()).toBe(2);
    expect(await readdir(path.join(root, RECIPIENT_DELETIONS_DIR))).toEqual([]);
  });

  describe("the summary file (porthost-summaries.jsonl), a cache of what lists show", () => {
    const summaryLines = async (): Promise<{ v: number; summary: { id: string; subject: string } }[]> =>
      (await readFile(path.join(root, SUMMARY_FILE), "utf8"))
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as { v: number; summary: { id: string; subject: string } });

    it("keeps each message's summary once it is read, and a new process searches from it, not the messages", async () => {
      const first = await openStore();
      const kept = await first.deliver(message("kept"), { envelope: envelope() });
      const other = await first.deliver(message("other"), { envelope: envelope() });
      expect((await first.list({ query: "kept" })).messages.map((m) => m.id)).toEqual([kept.id]);
      await first.close();
      const lines = await summaryLines();
      expect(lines.map((l) => l.summary.id).sort()).toEqual([kept.id, other.id].sort());
      expect(lines.find((l) => l.summary.id === kept.id)?.summary).toMatchObject({ subject: "kept", size: kept.size });

      // A line the file holds wins over reading the message again: a distinctive subject shows it was used.
      const marked = lines.map((l) =>
        l.summary.id === other.id ? { ...l, summary: { ...l.summary, subject: "from the summary file" } } : l,
      );
      await writeFile(path.join(root, SUMMARY_FILE), marked.map((l) => `${JSON.stringify(l)}\n`).join(""));
      const second = await openStore();
      expect((await second.list({ query: "summary file" })).messages.map((m) => m.id)).toEqual([other.id]);
    });

    it("counts a line only for a message the Maildir holds, and passes over broken or foreign lines", async () => {
      const first = await openStore();
      const gone = await first.deliver(message("gone"), { envelope: envelope() });
      const stays = await first.deliver(message("stays"), { envelope: envelope() });
      await first.all();
      await first.close();
      const file = path.join(root, SUMMARY_FILE);
      await writeFile(
        file,
        `${await readFile(file, "utf8")}not json\n{"v":99,"summary":{"id":"${stays.id}"}}\n{"v":1,"summ`,
      );
      await unlink(path.join(root, "new", gone.id));

      const second = await openStore();
      expect((await second.all()).map((m) => m.subject)).toEqual(["stays"]);
      expect((await second.list({ query: "gone" })).total).toBe(0);
      // A message delivered after the cut-short line is still kept, on a line of its own.
      const later = await second.deliver(message("later"), { envelope: envelope() });
      await second.all();
      await second.close();
      const third = await openStore();
      expect((await third.all()).map((m) => m.subject)).toEqual(["stays", "later"]);
      const parsed = (await readFile(file, "utf8")).split("\n").flatMap((line) => {
        try {
          return [JSON.parse(line) as { summary: { id: string } }];
        } catch {
          return [];
        }
      });
      expect(parsed.map((l) => l.summary.id)).toContain(later.id);
    });

    it("is only a cache: when it cannot be read or written, lists read the messages", async () => {
      await mkdir(path.join(root, SUMMARY_FILE), { recursive: true }); // a directory where the file would be
      const store = await openStore();
      await store.deliver(message("still listed"), { envelope: envelope() });
      expect((await store.list({ query: "still" })).messages.map((m) => m.subject)).toEqual(["still listed"]);
      expect((await store.all()).length).toBe(1);
    });

    it("is rewritten without its dead lines when they are most of it", async () => {
      const first = await openStore();
      const live = await first.deliver(message("live"), { envelope: envelope() });
      await first.all();
      await first.close();
      const file = path.join(root, SUMMARY_FILE);
      const [line] = await summaryLines();
      const dead = Array.from({ length: 1_500 }, (_, i) =>
        JSON.stringify({ ...line, summary: { ...line!.summary, id: `1.M${i}P1Q1.gone` } }),
      );
      await writeFile(file, `${dead.join("\n")}\n${await readFile(file, "utf8")}`);

      const second = await openStore();
      expect((await second.all()).map((m) => m.id)).toEqual([live.id]);
      expect((await summaryLines()).map((l) => l.summary.id)).toEqual([live.id]);
    });
  });
});
