import dns from "node:dns";
import { once } from "node:events";
import { readdirSync, statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import type { Socket } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Readable } from "node:stream";
import type { MailStore } from "@porthost/mailstore";
import { RawSmtp } from "./smtp-client.js";
import { startSmtp, type RunningSmtp } from "./start-smtp.js";

type ReverseCallback = (error: NodeJS.ErrnoException | null, hostnames: string[]) => void;

let running: RunningSmtp | undefined;
const clients: RawSmtp[] = [];
async function connect(port: number): Promise<RawSmtp> {
  const client = await RawSmtp.connect(port);
  clients.push(client);
  return client;
}
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await running?.stop();
  running = undefined;
});

/** A session up to the point where DATA has been accepted (354). */
async function inData(client: RawSmtp, rcpt = "bob@example.test"): Promise<void> {
  expect((await client.reply()).code).toBe(220);
  expect((await client.command("EHLO client.test")).code).toBe(250);
  expect((await client.command("MAIL FROM:<ann@example.test>")).code).toBe(250);
  expect((await client.command(`RCPT TO:<${rcpt}>`)).code).toBe(250);
  expect((await client.command("DATA")).code).toBe(354);
}

describe("SMTP protocol over a raw socket", () => {
  it("greets, announces the extensions and stores with 250 2.0.0 Ok: queued as <id>", async () => {
    running = await startSmtp();
    const client = await connect(running.port);
    const greeting = await client.reply();
    expect(greeting.text).toMatch(/^220 \S+ ESMTP porthost/);
    const ehlo = await client.command("EHLO client.test");
    expect(ehlo.lines).toEqual(
      expect.arrayContaining(["PIPELINING", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "AUTH PLAIN LOGIN"]),
    );
    expect(ehlo.lines).toContain(`SIZE ${25 * 1024 * 1024}`);
    expect(ehlo.lines).not.toContain("STARTTLS");
    expect((await client.command("MAIL FROM:<ann@example.test> BODY=8BITMIME")).text).toBe("250 2.1.0 Accepted");
    expect((await client.command("RCPT TO:<bob@example.test>")).code).toBe(250);
    expect((await client.command("DATA")).code).toBe(354);
    const done = await client.command("Subject: hi\r\n\r\nhello\r\n.");
    const id = /^250 2\.0\.0 Ok: queued as (\S+)$/.exec(done.text)?.[1];
    expect(id).toBeDefined();
    expect(await running.stored()).toEqual([id]);
    const stored = (await running.read(id ?? "")).toString();
    expect(stored).toMatch(
      new RegExp(
        `^Return-Path: <ann@example\\.test>\r\nDelivered-To: bob@example\\.test\r\n` +
          `Received: from client\\.test \\(\\[127\\.0\\.0\\.1\\]:${client.socket.localPort}\\)\r\n\tby .+\\[127\\.0\\.0\\.1\\]:${running.port}\\)`,
      ),
    );
    expect(stored).toContain("\r\n\tfor <bob@example.test>;");
    expect(stored.endsWith("Subject: hi\r\n\r\nhello\r\n")).toBe(true);
    // The envelope is in the message's trace headers; the store reads it back from there.
    const envelope = await running.smtp.store?.envelope(id ?? "");
    expect(envelope).toMatchObject({
      mailFrom: "ann@example.test",
      rcptTo: ["bob@example.test"],
      client: { address: "127.0.0.1", port: client.socket.localPort, helo: "client.test" },
      server: { address: "127.0.0.1", port: running.port },
      tls: null,
      authUser: null,
      body: "8BITMIME",
    });
    expect((await client.command("QUIT")).code).toBe(221);
  });

  it("greets with no pause by default: no timer stands between a connection and its 220", async () => {
    running = await startSmtp();
    // smtp-server's own early-talker pause is a 100 ms timer; with timers stopped it would never greet.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const client = await connect(running.port);
      expect((await client.reply()).text).toMatch(/^220 \S+ ESMTP porthost/);
      expect((await client.command("EHLO client.test")).code).toBe(250);
    } finally {
      vi.useRealTimers();
    }
  });

  it("with no greeting delay, answers a client that speaks before its 220 instead of refusing it", async () => {
    running = await startSmtp();
    for (let i = 0; i < 20; i++) {
      const client = await connect(running.port);
      client.write("EHLO eager.test\r\n");
      expect((await client.reply()).code).toBe(220);
      expect((await client.reply()).code).toBe(250);
      expect((await client.command("QUIT")).code).toBe(221);
    }
  });

  it("with a greeting delay, refuses an early talker as smtp-server does", async () => {
    running = await startSmtp({ limits: { greetingDelayMs: 5_000 } });
    const client = await connect(running.port);
    client.write("EHLO eager.test\r\n");
    expect((await client.reply()).text).toMatch(/^421 .*talk too soon/);
  });

  it("with a greeting delay, greets a client that waits for it", async () => {
    running = await startSmtp({ limits: { greetingDelayMs: 150 } });
    const patient = await connect(running.port);
    expect((await patient.reply()).code).toBe(220);
    expect((await patient.command("EHLO patient.test")).code).toBe(250);
  });

  it("answers pipelined commands in order", async () => {
    running = await startSmtp();
    const client = await connect(running.port);
    await client.reply();
    await client.command("EHLO client.test");
    client.write("MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nRCPT TO:<c@example.test>\r\nDATA\r\n");
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await client.reply()).code);
    expect(codes).toEqual([250, 250, 250, 354]);
    client.write("Subject: piped\r\n\r\nbody\r\n.\r\nMAIL FROM:<a@example.test>\r\nRSET\r\nNOOP\r\nQUIT\r\n");
    const after = [];
    for (let i = 0; i < 5; i++) after.push((await client.reply()).code);
    expect(after).toEqual([250, 250, 250, 250, 221]);
    expect(await running.stored()).toHaveLength(1);
  });

  it("answers bad commands and arguments with 5xx codes and keeps the session", async () => {
    running = await startSmtp();
    const client = await connect(running.port);
    await client.reply();
    expect((await client.command("MAIL FROM:<a@example.test>")).code).toBe(503);
    expect((await client.command("EHLO")).code).toBe(501);
    expect((await client.command("EHLO client.test")).code).toBe(250);
    expect((await client.command("FROB")).text).toMatch(/^500 5\.5\.\d/);
    expect((await client.command("RCPT TO:<b@example.test>")).code).toBe(503);
    expect((await client.command("MAIL FROM:not an address")).code).toBe(501);
    expect((await client.command("MAIL FROM:<a@example.test> SIZE=99999999999")).code).toBe(552);
    expect((await client.command("MAIL FROM:<a@example.test> BODY=9BIT")).code).toBe(501);
    expect((await client.command("MAIL FROM:<a@example.test>")).code).toBe(250);
    expect((await client.command("RCPT TO:<@@>")).code).toBe(501);
    expect((await client.command("DATA")).code).toBe(503);
    expect((await client.command("NOOP")).code).toBe(250);
    expect(await running.stored()).toEqual([]);
  });

  it("refuses a command line longer than the limit and closes", async () => {
    running = await startSmtp({ limits: { maxLineBytes: 600 } });
    const client = await connect(running.port);
    await client.reply();
    const reply = await client.command(`EHLO ${"x".repeat(700)}`);
    expect(reply.code).toBe(421);
    await client.ended();
  });

  it("undoes dot-stuffing and keeps 8-bit bytes untouched", async () => {
    running = await startSmtp();
    const client = await connect(running.port);
    await inData(client);
    const body = Buffer.concat([
      Buffer.from("Subject: dots\r\n\r\n..leading dot\r\n...\r\n..\r\nlatin1 "),
      Buffer.from([0xe9, 0xff, 0x80]),
      Buffer.from(" utf8 ✓\r\n.\r\n"),
    ]);
    client.write(body);
    const id = /queued as (\S+)/.exec((await client.reply()).text)?.[1] ?? "";
    const stored = await running.read(id);
    const message = stored.subarray(stored.indexOf("Subject: dots"));
    expect(message).toEqual(
      Buffer.concat([
        Buffer.from("Subject: dots\r\n\r\n.leading dot\r\n..\r\n.\r\nlatin1 "),
        Buffer.from([0xe9, 0xff, 0x80]),
        Buffer.from(" utf8 ✓\r\n"),
      ]),
    );
  });

  it("refuses an oversize message with 552 after reading it, storing nothing, and the session goes on", async () => {
    running = await startSmtp({ limits: { maxMessageBytes: 10_000 } });
    const client = await connect(running.port);
    await inData(client);
    const line = `${"y".repeat(998)}\r\n`;
    for (let i = 0; i < 200; i++) client.write(line);
    client.write(".\r\n");
    const refused = await client.reply();
    expect(refused.text).toMatch(/^552 5\.3\.4 /);
    for (const sub of ["new", "tmp"]) expect(await readdir(path.join(running.maildir, sub))).toEqual([]);
    expect((await client.command("MAIL FROM:<a@example.test>")).code).toBe(250);
    expect((await client.command("RCPT TO:<b@example.test>")).code).toBe(250);
    expect((await client.command("DATA")).code).toBe(354);
    expect((await client.command("Subject: small\r\n\r\nok\r\n.")).code).toBe(250);
    expect(await running.stored()).toHaveLength(1);
  });

  it("stops buffering and writing at the size limit while a client streams 50 MB past it", async () => {
    const limit = 1024 * 1024; // 1 MiB
    running = await startSmtp({ limits: { maxMessageBytes: limit } });
    const tmp = path.join(running.maildir, "tmp");
    // The data stream smtp-server hands to the store: what it holds is what the server has buffered.
    const store = running.smtp.store as MailStore;
    const deliver = store.deliver.bind(store);
    let source: Readable | undefined;
    vi.spyOn(store, "deliver").mockImplementation((stream, options) => deliver((source = stream), options));
    const client = await connect(running.port);
    await inData(client);
    let largestTmpFile = 0;
    let mostBuffered = 0;
    const watcher = setInterval(() => {
      mostBuffered = Math.max(mostBuffered, source?.readableLength ?? 0);
      for (const name of readdirSync(tmp)) {
        try {
          largestTmpFile = Math.max(largestTmpFile, statSync(path.join(tmp, name)).size);
        } catch {
          // Renamed or removed between the listing and the stat.
        }
      }
    }, 2);
    const chunk = Buffer.from(`${"z".repeat(1022)}\r\n`.repeat(64)); // 64 KiB
    try {
      for (let sent = 0; sent < 50 * 1024 * 1024; sent += chunk.length) {
        if (!client.socket.write(chunk)) await once(client.socket, "drain");
      }
      client.write(".\r\n");
      const refused = await client.reply();
      expect(refused.text).toMatch(/^552 5\.3\.4 /);
    } finally {
      clearInterval(watcher);
    }
    // Nothing past the limit reaches the disk (at most the batch that crossed it), and the stream was
    // read as it came (bounded by its high-water mark), not left to pile up.
    expect(source).toBeDefined();
    expect(largestTmpFile).toBeLessThanOrEqual(limit + 2 * chunk.length);
    expect(mostBuffered).toBeLessThanOrEqual(256 * 1024);
    for (const sub of ["new", "tmp"]) expect(await readdir(path.join(running.maildir, sub))).toEqual([]);
  }, 60_000);

  it("looks up no reverse DNS name: the client is its bracketed address", async () => {
    const reverse = vi
      .spyOn(dns, "reverse")
      .mockImplementation(((_ip: string, callback: ReverseCallback) =>
        callback(null, ["reverse-lookup.invalid"])) as typeof dns.reverse);
    try {
      running = await startSmtp();
      const client = await connect(running.port);
      expect((await client.reply()).code).toBe(220);
      const ehlo = await client.command("EHLO client.test");
      expect(ehlo.lines[0]).toMatch(/Nice to meet you, \[127\.0\.0\.1\]$/);
      expect(reverse).not.toHaveBeenCalled();
    } finally {
      reverse.mockRestore();
    }
  });

  it("answers 452 past the recipient limit and stores for the accepted ones", async () => {
    running = await startSmtp({ limits: { maxRecipients: 2 } });
    const client = await connect(running.port);
    await client.reply();
    await client.command("EHLO client.test");
    await client.command("MAIL FROM:<a@example.test>");
    expect((await client.command("RCPT TO:<r1@example.test>")).code).toBe(250);
    expect((await client.command("RCPT TO:<r2@example.test>")).code).toBe(250);
    expect((await client.command("RCPT TO:<r3@example.test>")).text).toMatch(/^452 4\.5\.3 /);
    expect((await client.command("DATA")).code).toBe(354);
    const done = await client.command("Subject: two\r\n\r\n.");
    const id = /queued as (\S+)/.exec(done.text)?.[1] ?? "";
    expect((await running.smtp.store?.envelope(id))?.rcptTo).toEqual(["r1@example.test", "r2@example.test"]);
  });

  it("closes an idle session with 421", async () => {
    running = await startSmtp({ limits: { idleTimeoutMs: 200 } });
    const client = await connect(running.port);
    await client.reply();
    await client.command("EHLO client.test");
    expect((await client.reply()).text).toMatch(/^421 .*Timeout/);
    await client.ended();
  });

  it("closes a session past its total time with 421, however busy", async () => {
    running = await startSmtp({ limits: { sessionTimeoutMs: 300, idleTimeoutMs: 10_000 } });
    const client = await connect(running.port);
    await client.reply();
    let reply;
    do reply = await client.command("NOOP");
    while (reply.code === 250);
    expect(reply.text).toMatch(/^421 4\.4\.2 Session time limit/);
    await client.ended();
  });

  it("lets a message being stored at the session deadline finish with 250, then closes with 421", async () => {
    running = await startSmtp({ limits: { sessionTimeoutMs: 3_000 } });
    const store = running.smtp.store as MailStore;
    const deliver = store.deliver.bind(store);
    let storing!: () => void;
    const storingStarted = new Promise<void>((resolve) => (storing = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    vi.spyOn(store, "deliver").mockImplementation(async (stream, options) => {
      storing();
      await released; // a slow disk, held until the deadline has passed
      return deliver(stream, options);
    });
    const sender = await connect(running.port);
    await inData(sender);
    sender.write("Subject: slow disk\r\n\r\nbody\r\n.\r\n");
    await storingStarted;
    // A session that starts later ends later: once it is cut, the sender's deadline has passed too.
    const later = await connect(running.port);
    expect((await later.reply()).code).toBe(220);
    expect((await later.reply()).text).toMatch(/^421 4\.4\.2 Session time limit/);
    release();
    expect((await sender.reply()).text).toMatch(/^250 2\.0\.0 Ok: queued as/);
    expect((await sender.reply()).text).toMatch(/^421 4\.4\.2 Session time limit/);
    await sender.ended();
    expect(await running.stored()).toHaveLength(1);
  });

  it("refuses connections past the limit with 421, and takes one again once a slot is free", async () => {
    running = await startSmtp({ limits: { maxConnections: 2 } });
    const accepted: Socket[] = [];
    running.smtp.server.server.on("connection", (socket: Socket) => accepted.push(socket));
    const first = await connect(running.port);
    const second = await connect(running.port);
    expect((await first.reply()).code).toBe(220);
    expect((await second.reply()).code).toBe(220);
    const third = await connect(running.port);
    expect((await third.reply()).text).toMatch(/^421 4\.7\.0 Too many connections/);
    await third.ended();
    const firstOnServer = accepted.find((socket) => socket.remotePort === first.socket.localPort);
    expect(firstOnServer).toBeDefined();
    const gone = once(firstOnServer as Socket, "close"); // smtp-server frees the slot when this closes
    first.close();
    await gone;
    expect((await (await connect(running.port)).reply()).code).toBe(220);
  });

  it("on shutdown, says 421 to idle sessions and lets a message being sent finish", async () => {
    running = await startSmtp();
    const idle = await connect(running.port);
    await idle.reply();
    await idle.command("EHLO idle.test");
    const sending = await connect(running.port);
    await inData(sending);
    sending.write("Subject: in flight\r\n\r\nfirst half\r\n");
    const closing = running.smtp.close();
    expect((await idle.reply()).text).toMatch(/^421 4\.3\.2 porthost is shutting down/);
    await idle.ended();
    sending.write("second half\r\n.\r\n");
    expect((await sending.reply()).text).toMatch(/^250 2\.0\.0 Ok: queued as/);
    expect((await sending.command("MAIL FROM:<a@example.test>")).code).toBe(421);
    await closing;
    expect(await running.stored()).toHaveLength(1);
  });
});
