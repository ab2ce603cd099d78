import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MailStore, maildirRoot } from "@porthost/mailstore";
import { readConfig } from "@porthost/ports";
import { buildWeb, type WebService } from "../src/index.js";
import { MAIL_HTML_CSP } from "../src/api/mail-routes.js";

const dataDir = mkdtempSync(path.join(tmpdir(), "porthost-web-mail-"));
let web: WebService;
let writer: MailStore;
const ids: string[] = [];

function message(subject: string, from: string, extra = ""): Buffer {
  return Buffer.from(
    `From: ${from}\r\nTo: dev@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, "")}@example.test>\r\nMIME-Version: 1.0\r\n${extra}`,
  );
}

const hostile = message(
  "hostile html",
  "mallory@example.test",
  [
    'Content-Type: multipart/mixed; boundary="b"',
    "",
    "--b",
    "Content-Type: text/html; charset=utf-8",
    "",
    '<p onclick="x()">hi</p><script>alert(1)</script><img src="http://remote.example/pixel.png">',
    "--b",
    'Content-Type: application/pdf; name="report.pdf"',
    'Content-Disposition: attachment; filename="report.pdf"',
    "Content-Transfer-Encoding: base64",
    "",
    Buffer.from("%PDF-1.4 not really").toString("base64"),
    "--b--",
    "",
  ].join("\r\n"),
);

beforeAll(async () => {
  // Another process's store writes, as the SMTP service does; the web service only reads.
  writer = await MailStore.open(maildirRoot(dataDir), { watch: false });
  for (const [subject, from] of [
    ["first", "alice@example.test"],
    ["second", "bob@example.test"],
    ["third about ports", "alice@example.test"],
  ] as const) {
    ids.push(
      (
        await writer.deliver(
          Readable.from([message(subject, from, "Content-Type: text/plain\r\n\r\nbody of " + subject + "\r\n")]),
        )
      ).id,
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  ids.push((await writer.deliver(Readable.from([hostile]))).id);
  web = await buildWeb({ config: readConfig({ PORTHOST_DATA_DIR: dataDir }, "/") });
});
afterAll(async () => {
  await web.close();
  await writer.close();
});

describe("GET /api/messages", () => {
  it("lists newest first with a total", async () => {
    const page = (await web.app.inject({ url: "/api/messages" })).json<{
      messages: { id: string; subject: string }[];
      total: number;
    }>();
    expect(page.total).toBe(4);
    expect(page.messages.map((m) => m.subject)).toEqual(["hostile html", "third about ports", "second", "first"]);
  });

  it("filters with q and pages with limit and cursor", async () => {
    const alice = (await web.app.inject({ url: "/api/messages?q=ALICE" })).json<{
      messages: { subject: string }[];
      total: number;
    }>();
    expect(alice.messages.map((m) => m.subject)).toEqual(["third about ports", "first"]);
    const first = (await web.app.inject({ url: "/api/messages?limit=2" })).json<{
      messages: { id: string }[];
      nextCursor: string;
    }>();
    expect(first.messages).toHaveLength(2);
    const second = (await web.app.inject({ url: `/api/messages?limit=2&cursor=${first.nextCursor}` })).json<{
      messages: { id: string }[];
      nextCursor: string | null;
    }>();
    expect(second.messages.map((m) => m.id)).toEqual([ids[1], ids[0]]);
    expect(second.nextCursor).toBeNull();
  });

  it.each([
    "/api/messages?limit=0",
    "/api/messages?limit=9999",
    "/api/messages?cursor=../x",
    "/api/messages?colour=red",
  ])("%s is a 400", async (url) => {
    expect((await web.app.inject({ url })).statusCode).toBe(400);
  });
});

describe("one message", () => {
  it("parsed: headers, text, attachments", async () => {
    const body = (await web.app.inject({ url: `/api/messages/${ids[3]}` })).json<{
      summary: { from: string };
      headers: { name: string }[];
      html: string;
      attachments: { index: number; filename: string; contentType: string }[];
    }>();
    expect(body.summary.from).toContain("mallory@example.test");
    expect(body.headers.map((h) => h.name)).toContain("Subject");
    expect(body.attachments).toEqual([
      expect.objectContaining({ index: 0, filename: "report.pdf", contentType: "application/pdf" }),
    ]);
  });

  it("raw: the bytes as stored", async () => {
    const response = await web.app.inject({ url: `/api/messages/${ids[3]}/raw` });
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(hostile)).toBe(true);
  });

  it("html: served only under a sandboxing CSP", async () => {
    const response = await web.app.inject({ url: `/api/messages/${ids[3]}/html` });
    expect(response.headers["content-security-policy"]).toBe(MAIL_HTML_CSP);
    expect(response.headers["content-security-policy"]).toMatch(/^sandbox;/);
    expect(response.body).toContain("<script>");
    expect((await web.app.inject({ url: `/api/messages/${ids[0]}/html` })).json()).toMatchObject({
      code: "PORTHOST_WEB_NO_HTML",
    });
  });

  it("attachment: its bytes, always as a download", async () => {
    const response = await web.app.inject({ url: `/api/messages/${ids[3]}/attachments/0` });
    expect(response.headers["content-type"]).toBe("application/pdf");
    expect(response.headers["content-disposition"]).toMatch(/^attachment; filename="report.pdf"/);
    expect(response.body).toBe("%PDF-1.4 not really");
    const missing = await web.app.inject({ url: `/api/messages/${ids[3]}/attachments/5` });
    expect(missing.json()).toMatchObject({ code: "PORTHOST_WEB_NO_SUCH_ATTACHMENT" });
  });

  it.each([
    "/api/messages/1795000000.M1P1Q1.nohost",
    "/api/messages/1795000000.M1P1Q1.nohost/raw",
    "/api/messages/1795000000.M1P1Q1.nohost/attachments/0",
  ])("%s: unknown ids are 404 with a clear message", async (url) => {
    const response = await web.app.inject({ url });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({
      code: "PORTHOST_WEB_NO_SUCH_MESSAGE",
      message: expect.stringContaining("No message with id"),
    });
  });

  it("refuses ids that could name a path", async () => {
    for (const url of ["/api/messages/..%2F..%2Fetc%2Fpasswd", "/api/messages/.hidden"]) {
      expect((await web.app.inject({ url })).statusCode).toBe(400);
    }
  });
});

describe("DELETE", () => {
  it("one message: 204, then it is gone (and 404 again)", async () => {
    expect((await web.app.inject({ method: "DELETE", url: `/api/messages/${ids[0]}` })).statusCode).toBe(204);
    expect((await web.app.inject({ url: `/api/messages/${ids[0]}` })).statusCode).toBe(404);
    expect((await web.app.inject({ method: "DELETE", url: `/api/messages/${ids[0]}` })).statusCode).toBe(404);
  });

  it("all messages", async () => {
    expect((await web.app.inject({ method: "DELETE", url: "/api/messages" })).json()).toEqual({ deleted: 3 });
    expect((await web.app.inject({ url: "/api/messages" })).json()).toMatchObject({ total: 0, messages: [] });
    expect(await writer.count()).toBe(0);
  });
});
