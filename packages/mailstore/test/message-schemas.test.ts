import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Value } from "typebox/value";
import { tempDir } from "@porthost/testkit";
import { testEnvelope } from "../src/testing.js";
import { MailStore, MessagePageSchema, ParsedMessageSchema } from "../src/index.js";

const CRLF = "\r\n";

let root: string;
let remove: () => Promise<void>;
let store: MailStore;

beforeEach(async () => {
  ({ dir: root, remove } = await tempDir("porthost-mail-schemas-"));
  store = await MailStore.open(path.join(root, "Maildir"));
});
afterEach(async () => {
  await store.close();
  await remove();
});

/** A mail with every part a reader shows: encoded headers, Cc, text, HTML and an attachment. */
const mail = [
  "From: =?UTF-8?Q?Ann_=C3=9Cber?= <ann@example.test>",
  "To: bob@example.test",
  "Cc: carol@example.test",
  "Subject: schemas",
  "Date: Wed, 02 Dec 2026 21:00:00 +0000",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="b"',
  "",
  "--b",
  "Content-Type: text/html; charset=utf-8",
  "",
  "<p>hello</p>",
  "--b",
  'Content-Type: text/plain; name="a.txt"',
  'Content-Disposition: attachment; filename="a.txt"',
  "",
  "attached",
  "--b--",
  "",
].join(CRLF);

describe("the mail schemas", () => {
  it("describe what the store gives readers: a page of summaries and a parsed message, with and without an envelope", async () => {
    const delivered = await store.deliver(Readable.from([Buffer.from(mail)]), {
      envelope: testEnvelope({ tls: { protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384" }, authUser: "app" }),
    });
    const page = await store.list();
    expect(page.messages).toHaveLength(1);
    expect([...Value.Errors(MessagePageSchema, page)]).toEqual([]);
    const parsed = await store.get(delivered.id);
    expect(parsed?.attachments).toHaveLength(1);
    expect([...Value.Errors(ParsedMessageSchema, parsed)]).toEqual([]);
    // A bare page without envelope or optional headers is a valid page too.
    const bare = { ...page, messages: page.messages.map((m) => ({ ...m, envelope: null, date: null })) };
    expect(Value.Check(MessagePageSchema, bare)).toBe(true);
    expect(Value.Check(MessagePageSchema, { ...page, total: "1" })).toBe(false);
  });
});
