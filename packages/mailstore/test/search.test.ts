import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "@porthost/testkit";
import { testEnvelope } from "../src/testing.js";
import { BODY_INDEX_FILE, MAX_INDEXED_TEXT_CHARS, MailStore, SearchSyntaxError, parseSearch } from "../src/index.js";

const execFileAsync = promisify(execFile);
const CRLF = "\r\n";

function mime(lines: readonly string[]): Readable {
  return Readable.from([Buffer.from(lines.join(CRLF))]);
}

/** A text and HTML message, the way nodemailer writes one. */
function alternative(subject: string, text: string, html: string, to = "bob@example.test"): Readable {
  return mime([
    "From: Ann <ann@example.test>",
    `To: ${to}`,
    `Subject: ${subject}`,
    "MIME-Version: 1.0",
    'Content-Type: multipart/alternative; boundary="b1"',
    "",
    "--b1",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "",
    text,
    "--b1",
    "Content-Type: text/html; charset=utf-8",
    "",
    html,
    "--b1--",
    "",
  ]);
}

function withAttachment(subject: string): Readable {
  return mime([
    "From: Ann <ann@example.test>",
    "To: bob@example.test",
    `Subject: ${subject}`,
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="m1"',
    "",
    "--m1",
    "Content-Type: text/plain",
    "",
    "see the file",
    "--m1",
    'Content-Type: application/pdf; name="a.pdf"',
    'Content-Disposition: attachment; filename="a.pdf"',
    "Content-Transfer-Encoding: base64",
    "",
    Buffer.from("%PDF-1.4").toString("base64"),
    "--m1--",
    "",
  ]);
}

let root: string;
let remove: () => Promise<void>;
const stores: MailStore[] = [];
async function openStore(): Promise<MailStore> {
  const store = await MailStore.open(root);
  stores.push(store);
  return store;
}

beforeEach(async () => {
  ({ dir: root, remove } = await tempDir("porthost-search-"));
  root = path.join(root, "Maildir");
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await remove();
});

const subjects = async (store: MailStore, query: string): Promise<string[]> =>
  (await store.list({ query })).messages.map((m) => m.subject).sort();

describe("search", () => {
  it("finds words in the text and HTML bodies (日本 too), Bcc recipients, and Mailpit's qualifiers", async () => {
    const store = await openStore();
    await store.deliver(
      alternative("plain", "こんにちは 日本 from the text part", "<p>only <b>html</b> words: zebra</p>"),
      {
        envelope: testEnvelope({ rcptTo: ["bob@example.test", "secret@example.test"] }),
      },
    );
    await store.deliver(
      alternative("second", "nothing special", "<style>.x{color:red}</style><p>giraffe &amp; co</p>"),
      {
        envelope: testEnvelope({ mailFrom: "bounce@sender.test" }),
      },
    );
    await store.deliver(withAttachment("with a file"), { envelope: testEnvelope() });

    expect(await subjects(store, "日本")).toEqual(["plain"]);
    expect(await subjects(store, "zebra")).toEqual(["plain"]);
    expect(await subjects(store, "giraffe & co")).toEqual(["second"]);
    expect(await subjects(store, '"giraffe & co"')).toEqual(["second"]);
    // Words inside <style> are not the message's words.
    expect(await subjects(store, "color")).toEqual([]);
    expect(await subjects(store, "secret@example.test")).toEqual(["plain"]);
    expect(await subjects(store, "bcc:secret@example.test")).toEqual(["plain"]);
    expect(await subjects(store, "to:secret")).toEqual(["plain"]);
    expect(await subjects(store, "from:bounce@sender.test")).toEqual(["second"]);
    expect(await subjects(store, 'subject:"with a"')).toEqual(["with a file"]);
    expect(await subjects(store, "has:attachment")).toEqual(["with a file"]);
    expect(await subjects(store, "-has:attachment")).toEqual(["plain", "second"]);
    expect(await subjects(store, "-zebra -giraffe")).toEqual(["with a file"]);
    expect(await subjects(store, "after:2000-01-01 before:2100-01-01")).toHaveLength(3);
    expect(await subjects(store, "before:2000-01-01")).toEqual([]);
    expect(() => parseSearch("after:yesterdayish")).toThrow(SearchSyntaxError);
    expect(() => parseSearch("is:starred")).toThrow(SearchSyntaxError);

    const page = await store.list({ query: "-zebra", limit: 1 });
    expect(page.total).toBe(2);
    expect(page.messages).toHaveLength(1);
    expect((await store.list({ query: "-zebra", start: 1 })).messages).toHaveLength(1);

    // The bodies are indexed once and kept: a new store reads them from the cache file.
    await store.close();
    expect(await readdir(root)).toContain(BODY_INDEX_FILE);
    expect(await subjects(await openStore(), "日本")).toEqual(["plain"]);
  });

  it("finds a word past the index's first MAX_INDEXED_TEXT_CHARS of a long message, and excludes it on -word", async () => {
    const store = await openStore();
    const filler = "lorem ipsum dolor ".repeat(Math.ceil((2 * MAX_INDEXED_TEXT_CHARS) / 18));
    await store.deliver(alternative("long", `${filler} the reset code is okapi-7731`, `<p>${filler}</p><p>tapir</p>`), {
      envelope: testEnvelope(),
    });
    await store.deliver(alternative("short", "okapi in a short one", "<p>short</p>"), { envelope: testEnvelope() });
    for (let round = 0; round < 2; round++) {
      // The second round finds the long text kept from the first.
      expect(await subjects(store, "okapi-7731")).toEqual(["long"]);
      expect(await subjects(store, "tapir")).toEqual(["long"]);
      expect(await subjects(store, "-tapir")).toEqual(["short"]);
      expect(await subjects(store, "okapi")).toEqual(["long", "short"]);
    }
    const long = (await store.list({ query: "subject:long" })).messages[0]!;
    expect((await store.matches(long.id, parseSearch('"code is okapi-7731"')))?.subject).toBe("long");
    // After a restart too, where the index's entry comes from its file.
    await store.close();
    expect(await subjects(await openStore(), "okapi-7731")).toEqual(["long"]);
  });

  it("keeps read/unread as the Maildir's S flag in cur/, which Python's mailbox reads", async () => {
    const store = await openStore();
    const first = await store.deliver(alternative("one", "a", "<p>a</p>"), { envelope: testEnvelope() });
    const second = await store.deliver(alternative("two", "b", "<p>b</p>"), { envelope: testEnvelope() });
    expect(await subjects(store, "is:unread")).toEqual(["one", "two"]);

    expect(await store.setSeen(first.id, true)).toBe(true);
    expect(await readdir(path.join(root, "cur"))).toEqual([`${first.id}:2,S`]);
    expect((await store.summary(first.id))?.flags).toBe("S");
    expect(await subjects(store, "is:read")).toEqual(["one"]);
    expect(await subjects(store, "is:unread")).toEqual(["two"]);
    expect(await store.unreadCount()).toBe(1);
    expect((await store.list()).unread).toBe(1);

    const python = [
      "import mailbox, sys, json",
      "box = mailbox.Maildir(sys.argv[1], factory=None, create=False)",
      "print(json.dumps({key: [box[key].get_subdir(), box[key].get_flags(), box[key]['Subject']] for key in box.keys()}))",
    ].join("\n");
    const read = async (): Promise<Record<string, [string, string, string]>> =>
      JSON.parse((await execFileAsync("python3", ["-c", python, root])).stdout) as Record<
        string,
        [string, string, string]
      >;
    expect(await read()).toEqual({ [first.id]: ["cur", "S", "one"], [second.id]: ["new", "", "two"] });

    expect(await store.setSeen(first.id, false)).toBe(true);
    expect(await read()).toEqual({ [first.id]: ["cur", "", "one"], [second.id]: ["new", "", "two"] });
    expect(await store.setSeen("no-such-id", true)).toBe(false);
  });

  it("tells a listener of each message another process stores, from the watcher, without polling", async () => {
    const reader = await openStore();
    const writer = await openStore();
    const arrived: string[] = [];
    let told: () => void = () => undefined;
    const stop = reader.onArrival((id) => {
      arrived.push(id);
      told();
    });
    const heard = new Promise<void>((resolve) => (told = resolve));
    const delivered = await writer.deliver(alternative("x", "y", "<p>z</p>"), { envelope: testEnvelope() });
    await heard;
    expect(arrived).toEqual([delivered.id]);
    // A move to cur/ (marked read) is not an arrival.
    await writer.setSeen(delivered.id, true);
    await reader.count();
    expect(arrived).toEqual([delivered.id]);
    stop();
  });
});

describe("links and codes", () => {
  it("lists the links of both parts and the one-time codes, not years, phone numbers or prices", async () => {
    const store = await openStore();
    const text = [
      "Your verification code is 482913.",
      "Confirm at https://app.example.test/verify?token=abc&x=1.",
      "Call +1 555 0100 or 555-0199, it is 2024, total $1234.",
      "Order number 77 shipped.",
    ].join("\n");
    const html =
      '<p>Your PIN: <b>7310</b></p><a href="https://app.example.test/verify?token=abc&amp;x=1">verify</a> <a href="mailto:x@y.test">mail</a> <img src="http://img.example.test/a.png">';
    const { id } = await store.deliver(alternative("codes", text, html), { envelope: testEnvelope() });
    const message = await store.get(id);
    // The image's URL is not a link anyone follows.
    expect(message?.links).toEqual(["https://app.example.test/verify?token=abc&x=1"]);
    expect(message?.codes).toEqual(["482913", "7310"]);
  });
});
