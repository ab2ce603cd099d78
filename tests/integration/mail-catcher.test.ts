import http from "node:http";
import net from "node:net";
import { MailpitClient } from "mailpit-api";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMailHost, type MailHost } from "./mail-host.js";

/** The web service's cap on requests waiting for mail at once (MAX_WAITERS). */
const WAITERS = 1_000;
/** A tiny PNG, for the inline image and the attachment. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==",
  "base64",
);

let host: MailHost;
let base: string;
let smtpPort: number;

beforeAll(async () => {
  host = await startMailHost({
    // Room for a thousand waiting requests from this one address.
    env: { PORTHOST_HTTP_MAX_CONNECTIONS: "2000", PORTHOST_MAX_CONNECTIONS_PER_ADDRESS: "1500" },
  });
  ({ base, smtpPort } = host);
});

afterAll(() => host?.close());

const transport = () =>
  nodemailer.createTransport({ host: "127.0.0.1", port: smtpPort, secure: false, ignoreTLS: true });

/** An SMTP conversation by hand, one reply at a time, so the test decides when the session ends. */
class SmtpDialogue {
  private buffer = "";
  private waiting: ((line: string) => void) | undefined;
  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      this.deliver();
    });
  }

  static async open(port: number): Promise<SmtpDialogue> {
    const socket = net.connect({ host: "127.0.0.1", port });
    await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const dialogue = new SmtpDialogue(socket);
    await dialogue.reply();
    return dialogue;
  }

  /** The next complete reply (its last line). */
  reply(): Promise<string> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.deliver();
    });
  }

  async say(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  close(): void {
    this.socket.end();
  }

  private deliver(): void {
    const match = /(^|\r\n)(\d{3}) [^\r\n]*\r\n/.exec(this.buffer);
    if (!match || !this.waiting) return;
    const end = match.index + match[0].length;
    const line = this.buffer.slice(match.index, end).trim();
    this.buffer = this.buffer.slice(end);
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve(line);
  }
}

describe("GET /api/messages/wait", () => {
  it("answers once the message is stored, while the SMTP session that stored it is still open", async () => {
    const events: string[] = [];
    const waiting = fetch(`${base}/api/messages/wait?to=waiter-1@example.test&timeout=60`).then(async (response) => {
      events.push("wait answered");
      return { status: response.status, body: (await response.json()) as { id: string; subject: string } };
    });
    const smtpSession = await SmtpDialogue.open(smtpPort);
    await smtpSession.say("EHLO client.test");
    await smtpSession.say("MAIL FROM:<ann@example.test>");
    await smtpSession.say("RCPT TO:<waiter-1@example.test>");
    await smtpSession.say("DATA");
    events.push("end of data sent");
    const stored = await smtpSession.say("Subject: wait for me\r\n\r\nhello\r\n.");
    events.push("250");
    expect(stored).toMatch(/^250 /);
    const answer = await waiting;
    // The session is still open (no QUIT, no connection event yet): the Maildir's watcher told the
    // web. The message is on disk before the 250 is written, so the answer may even come first.
    events.push("QUIT");
    smtpSession.close();
    expect(events.slice(0, 1)).toEqual(["end of data sent"]);
    expect(events.slice(1, 3).sort()).toEqual(["250", "wait answered"]);
    expect(events.at(-1)).toBe("QUIT");
    expect(answer.status).toBe(200);
    expect(answer.body.subject).toBe("wait for me");
    expect(stored).toContain(answer.body.id);
  });

  it("counts a message stored before the wait unless since= is later; 408 at the timeout; 400 for bad params", async () => {
    await transport().sendMail({ from: "a@example.test", to: "before@example.test", subject: "early", text: "x" });
    const found = await fetch(`${base}/api/messages/wait?to=before@example.test&timeout=5`);
    expect(found.status).toBe(200);
    expect(((await found.json()) as { subject: string }).subject).toBe("early");

    const since = new Date(Date.now() + 60_000).toISOString();
    const late = await fetch(`${base}/api/messages/wait?to=before@example.test&timeout=1&since=${since}`);
    expect(late.status).toBe(408);
    expect(((await late.json()) as { code: string }).code).toBe("PORTHOST_WEB_WAIT_TIMEOUT");

    for (const bad of ["timeout=0", "timeout=301", "since=yesterdayish", "q=is:starred", "colour=red"]) {
      const response = await fetch(`${base}/api/messages/wait?${bad}`);
      expect(response.status, bad).toBe(400);
    }
  });

  it("holds 1,000 waiting requests in bounded memory, answers 503 past them, and answers the right one", async () => {
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const open: http.ClientRequest[] = [];
    const answers: Promise<number>[] = [];
    /** Resolved once each request's connection is made: so the listen backlog never overflows. */
    let connected: Promise<void>[] = [];
    const ask = (to: string, timeout = 300): Promise<{ status: number; body: string }> =>
      new Promise((resolve) => {
        const request = http.get(`${base}/api/messages/wait?to=${to}&timeout=${timeout}`, { agent }, (response) => {
          let body = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (body += chunk));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
        });
        // Destroyed at the end of the test: no answer.
        request.on("error", () => resolve({ status: 0, body: "" }));
        connected.push(new Promise((made) => request.once("socket", (socket) => socket.once("connect", () => made()))));
        open.push(request);
      });
    global.gc?.();
    const before = process.memoryUsage();
    const results = new Map<number, Promise<{ status: number; body: string }>>();
    // A hundred at a time: a thousand connects at once overflow the listen backlog, and the kernel's
    // retries of the dropped ones take longer than the test (1 s, 2 s, 4 s... each).
    for (let i = 0; i < WAITERS; i++) {
      results.set(i, ask(`many-${i}@example.test`));
      if (i % 100 === 99) await Promise.all(connected.splice(0));
    }
    connected = [];
    for (const [i, result] of results) answers[i] = result.then((r) => r.status);
    // Another request is refused only once all the others wait: then all 1,000 are in place
    // (one let in before that gives up after a second, 408, and the next one tries).
    let refused: { status: number; body: string } | undefined;
    while (!refused) {
      const extra = await ask("one-too-many@example.test", 1);
      if (extra.status === 503) refused = extra;
      else expect(extra.status).toBe(408);
    }
    expect(JSON.parse(refused.body)).toMatchObject({ code: "PORTHOST_WEB_TOO_MANY_WAITERS" });
    global.gc?.();
    const during = process.memoryUsage();
    const heapPerWaiter = (during.heapUsed - before.heapUsed) / WAITERS;
    const rssGrowthMiB = (during.rss - before.rss) / 1024 / 1024;
    console.log(
      `1,000 waiters (client and server in this process): heap +${(heapPerWaiter / 1024).toFixed(1)} KiB per waiter, RSS +${rssGrowthMiB.toFixed(1)} MiB`,
    );
    // Both ends of 1,000 HTTP connections live here; a leak of a message copy or a buffer per waiter would show.
    expect(heapPerWaiter).toBeLessThan(64 * 1024);
    expect(rssGrowthMiB).toBeLessThan(200);

    await transport().sendMail({ from: "a@example.test", to: "many-500@example.test", subject: "for 500", text: "x" });
    expect(await answers[500]).toBe(200);
    for (const request of open) request.destroy();
    agent.destroy();
    // Waiters whose clients left are gone: a new wait is accepted again.
    let again = 503;
    while (again === 503) {
      again = await fetch(`${base}/api/messages/wait?to=many-500@example.test&timeout=5`).then((r) => r.status);
    }
    expect(again).toBe(200);
  }, 180_000);
});

describe("search, flags, links and codes through the API", () => {
  it("finds a body word (日本), a Bcc recipient, and qualifiers; keeps read as the S flag", async () => {
    const sent = await transport().sendMail({
      from: "Shop <shop@example.test>",
      to: "visible@example.test",
      bcc: "hidden-bcc@example.test",
      subject: "order",
      text: "ご注文 日本 へ発送しました. Your verification code is 904112. Track: https://shop.example.test/track/9?x=1",
      html: '<p>Code: <b>904112</b></p><a href="https://shop.example.test/track/9?x=1">track</a>',
    });
    const id = /queued as (\S+)/.exec(sent.response)![1]!;
    const list = async (q: string): Promise<string[]> => {
      const response = await fetch(`${base}/api/messages?q=${encodeURIComponent(q)}`);
      expect(response.status, q).toBe(200);
      return ((await response.json()) as { messages: { id: string }[] }).messages.map((m) => m.id);
    };
    expect(await list("日本")).toEqual([id]);
    expect(await list("hidden-bcc@example.test")).toEqual([id]);
    expect(await list("bcc:hidden-bcc from:shop subject:order -has:attachment is:unread")).toEqual([id]);
    expect(await list("日本 -subject:order")).toEqual([]);
    expect((await fetch(`${base}/api/messages?q=${encodeURIComponent("after:someday")}`)).status).toBe(400);

    const marked = await fetch(`${base}/api/messages/${id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ read: true }),
    });
    expect(((await marked.json()) as { flags: string }).flags).toBe("S");
    expect(await list("日本 is:read")).toEqual([id]);

    const message = (await (await fetch(`${base}/api/messages/${id}`)).json()) as { links: string[]; codes: string[] };
    expect(message.links).toEqual(["https://shop.example.test/track/9?x=1"]);
    expect(message.codes).toEqual(["904112"]);

    const eml = await fetch(`${base}/api/messages/${id}/raw?download=1`);
    expect(eml.headers.get("content-disposition")).toBe(`attachment; filename="${id}.eml"`);
    expect(eml.headers.get("content-type")).toBe("message/rfc822");
    expect(await eml.text()).toContain("Subject: order");
  });

  it("serves a cid: image of the HTML from the message's own parts, with its type", async () => {
    const sent = await transport().sendMail({
      from: "a@example.test",
      to: "cid@example.test",
      subject: "inline",
      html: '<p>logo: <img src="cid:logo1"></p>',
      attachments: [{ filename: "logo.png", content: PNG, cid: "logo1", contentType: "image/png" }],
    });
    const id = /queued as (\S+)/.exec(sent.response)![1]!;
    const html = await (await fetch(`${base}/api/messages/${id}/html`)).text();
    const src = /src="([^"]+)"/.exec(html)![1]!;
    expect(src).toBe(`/api/messages/${id}/cid/logo1`);
    const image = await fetch(`${base}${src}`);
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await image.arrayBuffer())).toEqual(PNG);
  });
});

describe("Mailpit's API v1, driven by the npm mailpit-api client", () => {
  it("sends, waits for, reads, marks, searches and deletes as a Mailpit suite does", async () => {
    const mailpit = new MailpitClient(base);
    await mailpit.deleteMessages();
    expect((await mailpit.listMessages()).total).toBe(0);

    const { ID } = await mailpit.sendMessage({
      From: { Email: "app@example.test", Name: "The App" },
      To: [{ Email: "user@example.test", Name: "A User" }],
      Bcc: ["audit@example.test"],
      Subject: "Welcome",
      Text: "Welcome! Your code is 123456. 日本",
      HTML: '<p>Welcome</p><img src="cid:logo1">',
      Attachments: [
        { Content: PNG.toString("base64"), Filename: "logo.png", ContentType: "image/png", ContentID: "logo1" },
        { Content: Buffer.from("a,b\n1,2\n").toString("base64"), Filename: "data.csv", ContentType: "text/csv" },
      ],
    });
    expect(ID).not.toBe("");

    const message = await mailpit.waitForMessage({ query: "subject:Welcome" }, { timeout: 10_000, interval: 100 });
    expect(message.ID).toBe(ID);
    expect(message.From).toEqual({ Name: "The App", Address: "app@example.test" });
    expect(message.To).toEqual([{ Name: "A User", Address: "user@example.test" }]);
    expect(message.Bcc).toEqual([{ Name: "", Address: "audit@example.test" }]);
    expect(message.Subject).toBe("Welcome");
    expect(message.Text).toContain("123456");
    expect(message.Inline.map((p) => [p.FileName, p.ContentID])).toEqual([["logo.png", "logo1"]]);
    expect(message.Attachments.map((p) => p.FileName)).toEqual(["data.csv"]);

    const list = await mailpit.listMessages();
    expect(list.messages_count).toBe(1);
    expect(list.messages[0]).toMatchObject({ ID, Subject: "Welcome", Read: true, Attachments: 1 });
    expect(list.messages[0]!.Snippet).toContain("Welcome! Your code is 123456");
    expect((await mailpit.getInfo()).Unread).toBe(0);

    expect(await mailpit.setReadStatus({ IDs: [ID], Read: false })).toBe("ok");
    expect((await mailpit.searchMessages({ query: "is:unread 日本" })).messages.map((m) => m.ID)).toEqual([ID]);
    expect(await mailpit.setReadStatus({ Search: "subject:Welcome", Read: true })).toBe("ok");
    expect((await mailpit.searchMessages({ query: "is:unread" })).messages_count).toBe(0);

    const headers = await mailpit.getMessageHeaders(ID);
    expect(headers.Subject).toEqual(["Welcome"]);
    expect(Object.keys(headers)).toEqual([...Object.keys(headers)].sort());
    expect(await mailpit.getMessageSource("latest")).toContain("Subject: Welcome");
    const csv = await mailpit.getMessageAttachment(ID, message.Attachments[0]!.PartID);
    expect(await csv.text()).toBe("a,b\n1,2\n");
    expect(await mailpit.renderMessageText(ID)).toContain("Welcome!");
    expect(await mailpit.renderMessageHTML(ID)).toContain(`/api/messages/${ID}/cid/logo1`);

    await transport().sendMail({ from: "x@example.test", to: "second@example.test", subject: "Second", text: "two" });
    expect((await mailpit.waitForMessages({ count: 2 }, { timeout: 10_000, interval: 100 })).messages_count).toBe(2);
    expect(await mailpit.deleteMessagesBySearch({ query: "subject:Second" })).toBe("ok");
    expect((await mailpit.listMessages()).total).toBe(1);

    // A long message (a newsletter, a log): its last words are found as well as its first.
    const long = `${"lorem ipsum dolor ".repeat(4_000)}your reset code is okapi-7731`;
    await transport().sendMail({ from: "x@example.test", to: "long@example.test", subject: "Long", text: long });
    const found = await mailpit.waitForMessage({ query: "okapi-7731" }, { timeout: 10_000, interval: 100 });
    expect(found.Subject).toBe("Long");
    expect(await mailpit.deleteMessagesBySearch({ query: "okapi-7731" })).toBe("ok");
    expect((await mailpit.listMessages()).total).toBe(1);
    expect(await mailpit.deleteMessages({ IDs: [ID] })).toBe("ok");
    expect((await mailpit.listMessages()).total).toBe(0);
    await expect(mailpit.waitForMessage({ query: "subject:Never" }, { timeout: 300, interval: 100 })).rejects.toThrow(
      /Timeout/,
    );
  });
});
