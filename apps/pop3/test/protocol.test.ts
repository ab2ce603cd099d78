import { readdir, readFile, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ConnectionEvent } from "@porthost/events";
import { LOCK_DIR, LOCK_SUFFIX } from "@porthost/mailstore";
import { apopDigest, pop3Replies } from "../src/index.js";
import { crlfMessage, startPop3, unstuff, type RunningPop3 } from "./pop3-client.js";

let running: RunningPop3 | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function start(options: Parameters<typeof startPop3>[0] = {}): Promise<RunningPop3> {
  running = await startPop3(options);
  return running;
}

/** The maildrop locks held now (the lock directory also keeps spare locks). */
async function lockNames(maildir: string): Promise<string[]> {
  return (await readdir(path.join(maildir, LOCK_DIR))).filter((name) => name.endsWith(LOCK_SUFFIX));
}

const TRANSACTION_COMMANDS = ["STAT", "LIST", "RETR 1", "DELE 1", "NOOP", "RSET", "TOP 1 0", "UIDL"];

describe("AUTHORIZATION state", () => {
  it("greets with +OK and an APOP timestamp, and lists its capabilities (no STLS without TLS)", async () => {
    const { connect } = await start();
    const client = await connect();
    expect(client.greeting).toMatch(/^\+OK porthost POP3 ready <\d+\.[0-9a-f]+\.\d+@[^>]+>$/);
    const capa = await client.multi("CAPA");
    expect(capa.first).toBe("+OK capability list follows");
    expect(capa.lines).toEqual([
      "TOP",
      "UIDL",
      "USER",
      "RESP-CODES",
      "AUTH-RESP-CODE",
      "PIPELINING",
      "IMPLEMENTATION porthost",
    ]);
    expect(await client.command("STLS")).toBe(pop3Replies.noTls().line);
  });

  it("refuses every TRANSACTION command before login, PASS without USER, and unknown or empty commands", async () => {
    const { connect } = await start();
    const client = await connect();
    for (const command of TRANSACTION_COMMANDS) {
      const keyword = command.split(" ")[0]!;
      expect(await client.command(command), command).toBe(pop3Replies.notLoggedIn(keyword).line);
    }
    expect(await client.command("PASS secret")).toBe(pop3Replies.passWithoutUser().line);
    expect(await client.command("USER")).toBe(pop3Replies.arguments("USER", "a name").line);
    expect(await client.command("FROB 1")).toBe(pop3Replies.unknownCommand("FROB").line);
    expect(await client.command("")).toBe(pop3Replies.emptyCommand().line);
    client.write(Buffer.from("\u0000\u00ff\u0007\r\n", "latin1"));
    expect(await client.line()).toBe(pop3Replies.unknownCommand("\u0000\u00ff\u0007").line);
    expect(await client.command("USER ann")).toBe('+OK "ann": now PASS');
    expect(await client.command("PASS")).toBe(pop3Replies.arguments("PASS", "a password").line);
    // A failed PASS forgets the USER: the pair starts again.
    expect(await client.command("PASS again")).toBe(pop3Replies.passWithoutUser().line);
    expect(await client.quit()).toBe("+OK porthost POP3 signing off");
  });

  it("takes commands in any case and a password with spaces", async () => {
    const { connect } = await start({ settings: { users: [{ username: "ann", password: "two words" }] } });
    const client = await connect();
    expect(await client.command("user ann")).toMatch(/^\+OK/);
    expect(await client.command("pass two words")).toMatch(/^\+OK "ann" has 0 messages \(0 octets\)$/);
    expect(await client.command("noop")).toBe("+OK");
  });
});

describe("TRANSACTION state", () => {
  it("STAT, LIST and UIDL give the counts, exact sizes and ids; numbers stay put after DELE", async () => {
    const pop3 = await start();
    const ids = [
      await pop3.deliver(crlfMessage("one")),
      await pop3.deliver(crlfMessage("two", ["a", "b"])),
      await pop3.deliver(crlfMessage("three")),
    ];
    const client = await pop3.connect();
    expect(await client.login()).toMatch(/^\+OK "user" has 3 messages \(\d+ octets\)$/);
    const sizes = await Promise.all(ids.map(async (id) => (await pop3.store.raw(id))!.length));
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(await client.command("STAT")).toBe(`+OK 3 ${total}`);
    const list = await client.multi("LIST");
    expect(list.first).toBe(`+OK 3 messages (${total} octets)`);
    expect(list.lines).toEqual(sizes.map((size, i) => `${i + 1} ${size}`));
    expect(await client.command("LIST 2")).toBe(`+OK 2 ${sizes[1]}`);
    expect((await client.multi("UIDL")).lines).toEqual(ids.map((id, i) => `${i + 1} ${id}`));
    expect(await client.command("UIDL 3")).toBe(`+OK 3 ${ids[2]}`);

    expect(await client.command("DELE 2")).toBe("+OK message 2 marked deleted (gone once you QUIT)");
    expect(await client.command("STAT")).toBe(`+OK 2 ${total - sizes[1]!}`);
    expect((await client.multi("LIST")).lines).toEqual([`1 ${sizes[0]}`, `3 ${sizes[2]}`]);
    expect(await client.command("LIST 2")).toBe(pop3Replies.deleted(2).line);
    expect(await client.command("UIDL 3")).toBe(`+OK 3 ${ids[2]}`);
  });

  it("RETR sends the stored bytes, byte-stuffed, and the size LIST gave is exactly what the client keeps", async () => {
    const pop3 = await start();
    const stored = crlfMessage("dots", [".starts with a dot", "..two dots", ".", "end."]);
    const id = await pop3.deliver(stored);
    const client = await pop3.connect();
    await client.login();
    const size = Number((await client.command("LIST 1")).split(" ")[2]);
    client.write("RETR 1\r\n");
    expect(await client.line()).toBe(`+OK ${size} octets`);
    const wire = await client.body();
    expect(wire.toString("latin1")).toContain("\r\n..starts with a dot\r\n...two dots\r\n..\r\nend.\r\n");
    const kept = unstuff(wire);
    expect(kept.length).toBe(size);
    expect(kept.equals((await pop3.store.raw(id))!)).toBe(true);
  });

  it("sends a message another program stored with bare LF and no final newline as CRLF, sized as sent", async () => {
    const pop3 = await start();
    await writeFile(
      path.join(pop3.maildir, "new", "1700000000.M1P1Q1.elsewhere"),
      "Subject: lf\n\n.line one\nline two\r\nlast\rline",
    );
    const client = await pop3.connect();
    await client.login();
    const retr = await client.multi("RETR 1");
    expect(retr.body.toString("latin1")).toBe("Subject: lf\r\n\r\n.line one\r\nline two\r\nlast\rline\r\n");
    expect(retr.first).toBe(`+OK ${retr.body.length} octets`);
    expect(await client.command("STAT")).toBe(`+OK 1 ${retr.body.length}`);
  });

  it("TOP sends the headers, the blank line and n body lines", async () => {
    const pop3 = await start();
    await pop3.deliver(crlfMessage("top", ["first", ".second", "third"]));
    const client = await pop3.connect();
    await client.login();
    const none = await client.multi("TOP 1 0");
    expect(none.first).toBe("+OK top of message follows");
    // The SMTP envelope's trace headers come first, then the message's own.
    expect(none.body.toString()).toMatch(
      /^Return-Path: <[^>]*>\r\nDelivered-To: you@example\.test\r\nReceived: [^]*\r\nFrom: ann@example\.test\r\nTo: you@example\.test\r\nSubject: top\r\n\r\n$/,
    );
    expect((await client.multi("TOP 1 2")).lines.slice(-2)).toEqual(["first", ".second"]);
    expect((await client.multi("TOP 1 99")).lines.slice(-3)).toEqual(["first", ".second", "third"]);
    expect(await client.command("TOP 1")).toBe(
      pop3Replies.arguments("TOP", "a message number and a number of lines").line,
    );
    expect(await client.command("TOP 1 -1")).toBe(pop3Replies.notANumber("a number of lines", "-1").line);
    expect(await client.command("TOP 2 1")).toBe(pop3Replies.noSuchMessage(2, 1).line);
  });

  it("answers every bad argument with its own -ERR and keeps the session", async () => {
    const pop3 = await start();
    await pop3.deliver(crlfMessage("only"));
    const client = await pop3.connect();
    await client.login();
    const cases: [string, string][] = [
      ["RETR", pop3Replies.arguments("RETR", "one message number").line],
      ["RETR 1 2", pop3Replies.arguments("RETR", "one message number").line],
      ["RETR x", pop3Replies.notANumber("a message number", "x").line],
      ["RETR 0", pop3Replies.noSuchMessage(0, 1).line],
      ["RETR 2", pop3Replies.noSuchMessage(2, 1).line],
      ["RETR 99999999999", pop3Replies.notANumber("a message number", "99999999999").line],
      ["DELE", pop3Replies.arguments("DELE", "one message number").line],
      ["LIST 1 2", pop3Replies.arguments("LIST", "at most one message number").line],
      ["UIDL -1", pop3Replies.notANumber("a message number", "-1").line],
      ["STAT 1", pop3Replies.arguments("STAT", "no arguments").line],
      ["NOOP now", pop3Replies.arguments("NOOP", "no arguments").line],
      ["RSET all", pop3Replies.arguments("RSET", "no arguments").line],
      ["CAPA x", pop3Replies.arguments("CAPA", "no arguments").line],
      ["QUIT now", pop3Replies.arguments("QUIT", "no arguments").line],
      ["USER ann", pop3Replies.loggedIn("USER").line],
      ["PASS x", pop3Replies.loggedIn("PASS").line],
      ["APOP a 0123456789abcdef0123456789abcdef", pop3Replies.loggedIn("APOP").line],
      ["STLS", pop3Replies.loggedIn("STLS").line],
    ];
    for (const [command, reply] of cases) expect(await client.command(command), command).toBe(reply);
    expect(await client.command("DELE 1")).toMatch(/^\+OK/);
    expect(await client.command("DELE 1")).toBe(pop3Replies.deleted(1).line);
    expect(await client.command("RETR 1")).toBe(pop3Replies.deleted(1).line);
    expect(await client.command("TOP 1 0")).toBe(pop3Replies.deleted(1).line);
    const empty = await client.multi("LIST");
    expect(empty).toMatchObject({ first: "+OK 0 messages (0 octets)", lines: [] });
    expect(await client.command("NOOP")).toBe("+OK");
  });

  it("fixes its snapshot at login: later mail waits for the next session; mail deleted elsewhere is reported", async () => {
    const pop3 = await start();
    const first = await pop3.deliver(crlfMessage("before"));
    await pop3.deliver(crlfMessage("also before"));
    const client = await pop3.connect();
    await client.login();
    await pop3.deliver(crlfMessage("during"));
    expect(await client.command("STAT")).toMatch(/^\+OK 2 /);
    await pop3.store.delete(first);
    expect(await client.command("RETR 1")).toBe(pop3Replies.messageGone(1).line);
    expect((await client.multi("RETR 2")).lines).toContain("Subject: also before");
    expect(await client.quit()).toMatch(/^\+OK/);
    const next = await pop3.connect();
    expect(await next.login()).toMatch(/has 2 messages/);
  });
});

describe("UPDATE state", () => {
  it("deletes only on QUIT; RSET unmarks", async () => {
    const pop3 = await start();
    const ids = [await pop3.deliver(crlfMessage("a")), await pop3.deliver(crlfMessage("b"))];
    const client = await pop3.connect();
    await client.login();
    await client.command("DELE 1");
    await client.command("DELE 2");
    expect(await client.command("RSET")).toMatch(/^\+OK maildrop has 2 messages \(\d+ octets\)$/);
    await client.command("DELE 1");
    expect(await readdir(path.join(pop3.maildir, "new"))).toHaveLength(2);
    expect(await client.quit()).toBe("+OK porthost POP3 signing off (1 message deleted, 1 left)");
    expect(await readdir(path.join(pop3.maildir, "new"))).toEqual([ids[1]]);
    expect(await pop3.store.summary(ids[0]!)).toBeUndefined();
  });

  it("QUIT counts what the Maildir holds after its deletions, not its snapshot: mail deleted elsewhere is not left", async () => {
    const pop3 = await start();
    const ids: string[] = [];
    for (const subject of ["a", "b", "c", "d"]) ids.push(await pop3.deliver(crlfMessage(subject)));
    const client = await pop3.connect();
    expect(await client.login()).toMatch(/has 4 messages/);
    await client.command("DELE 1");
    // The web (another MailStore, another process in porthost) deletes a message the session still lists.
    expect(await pop3.store.delete(ids[3]!)).toBe(true);
    expect(await client.quit()).toBe("+OK porthost POP3 signing off (1 message deleted, 2 left)");
    expect(await readdir(path.join(pop3.maildir, "new"))).toHaveLength(2);
  });

  it("a dropped connection deletes nothing and frees the maildrop", async () => {
    const pop3 = await start();
    await pop3.deliver(crlfMessage("keep me"));
    const client = await pop3.connect();
    await client.login();
    expect(await client.command("DELE 1")).toMatch(/^\+OK/);
    client.destroy();
    await client.closedPromise;
    await expect.poll(() => pop3.pop3.sessionCount()).toBe(0);
    expect(await readdir(path.join(pop3.maildir, "new"))).toHaveLength(1);
    const again = await pop3.connect();
    expect(await again.login()).toMatch(/has 1 message \(/);
  });
});

describe("the maildrop lock", () => {
  it("refuses a second session with [IN-USE] while one is in TRANSACTION, and lets it in after QUIT", async () => {
    const pop3 = await start();
    await pop3.deliver(crlfMessage("x"));
    const first = await pop3.connect();
    await first.login("ann", "a");
    const second = await pop3.connect();
    expect(await second.login("bob", "b")).toBe(pop3Replies.inUse("shared").line);
    expect(await second.command("STAT")).toBe(pop3Replies.notLoggedIn("STAT").line);
    expect(await first.quit()).toMatch(/^\+OK/);
    expect(await second.login("bob", "b")).toMatch(/^\+OK "bob" has 1 message/);
  });

  it("holds the lock in a file of the Maildir, removed when the session ends", async () => {
    const pop3 = await start();
    const client = await pop3.connect();
    await client.login();
    expect(await lockNames(pop3.maildir)).toHaveLength(1);
    await client.quit();
    await expect.poll(() => lockNames(pop3.maildir)).toEqual([]);
  });
});

describe("UIDL", () => {
  it("stays the same across sessions and a restart of the service", async () => {
    const pop3 = await start();
    await pop3.deliver(crlfMessage("a"));
    await pop3.deliver(crlfMessage("b"));
    const before = await pop3.connect();
    await before.login();
    const uids = (await before.multi("UIDL")).lines;
    await before.quit();
    await pop3.restart();
    const after = await pop3.connect();
    await after.login();
    expect((await after.multi("UIDL")).lines).toEqual(uids);
    expect(uids.every((line) => /^\d+ [\x21-\x7e]{1,70}$/.test(line))).toBe(true);
  });

  it("hashes a Maildir name that cannot be a POP3 unique-id", async () => {
    const pop3 = await start();
    await writeFile(path.join(pop3.maildir, "cur", `1700000000.${"x".repeat(80)}:2,S`), "Subject: long\r\n\r\n");
    const client = await pop3.connect();
    await client.login();
    expect(await client.command("UIDL 1")).toMatch(/^\+OK 1 sha256-[A-Za-z0-9_-]{43}$/);
  });
});

describe("logins", () => {
  const users = [{ username: "ann", password: "secret" }];

  it("with PORTHOST_POP3_USERS accepts only those, by USER/PASS", async () => {
    const pop3 = await start({ settings: { users } });
    const client = await pop3.connect();
    expect(await client.login("ann", "wrong")).toBe(pop3Replies.badCredentials().line);
    expect(await client.login("bob", "secret")).toBe(pop3Replies.badCredentials().line);
    expect(await client.login("ann", "secret")).toMatch(/^\+OK "ann" has 0 messages/);
  });

  it("APOP: the digest of the greeting's timestamp and the password", async () => {
    const pop3 = await start({ settings: { users } });
    const client = await pop3.connect();
    const timestamp = /<[^>]+>/.exec(client.greeting)![0];
    expect(await client.command(`APOP ann ${apopDigest(timestamp, "wrong")}`)).toBe(pop3Replies.badCredentials().line);
    expect(await client.command("APOP ann nothex")).toBe(
      pop3Replies.arguments("APOP", "a name and a 32-digit hex MD5 digest").line,
    );
    expect(await client.command("APOP ann")).toBe(
      pop3Replies.arguments("APOP", "a name and a 32-digit hex MD5 digest").line,
    );
    expect(await client.command(`APOP ann ${apopDigest(timestamp, "secret").toUpperCase()}`)).toMatch(
      /^\+OK "ann" has 0 messages/,
    );
  });

  it("without accounts any name, password or digest passes", async () => {
    const pop3 = await start();
    const client = await pop3.connect();
    expect(await client.command("APOP anyone 0123456789abcdef0123456789abcdef")).toMatch(/^\+OK "anyone"/);
  });
});

describe("one maildrop per recipient (PORTHOST_POP3_MAILBOX=recipient)", () => {
  it("USER is the address; each sees its own mail, Bcc included, and locks only its own maildrop", async () => {
    const pop3 = await start({ settings: { mailbox: "recipient" } });
    await pop3.deliver(crlfMessage("for bob"), ["bob@example.test"]);
    await pop3.deliver(crlfMessage("for both"), ["bob@example.test", "Carol@Example.test"]);
    await pop3.deliver(crlfMessage("for dave"), ["dave@example.test"]);
    const bob = await pop3.connect();
    expect(await bob.command("USER bob")).toBe(pop3Replies.notAnAddress("bob").line);
    expect(await bob.login("Bob@example.test", "x")).toMatch(/^\+OK "Bob@example.test" has 2 messages/);
    const carol = await pop3.connect();
    expect(await carol.login("carol@example.test", "x")).toMatch(/has 1 message /);
    expect((await carol.multi("TOP 1 0")).lines).toContain("Subject: for both");
    const again = await pop3.connect();
    expect(await again.login("bob@example.test", "y")).toBe(pop3Replies.inUse("bob@example.test").line);
    const nobody = await pop3.connect();
    expect(await nobody.login("nobody@example.test", "x")).toMatch(/has 0 messages/);
  });

  it("each recipient's copy names only that recipient in Delivered-To (a Bcc stays blind), LIST sizes included", async () => {
    const pop3 = await start({ settings: { mailbox: "recipient" } });
    const id = await pop3.deliver(crlfMessage("for three"), [
      "ann@example.test",
      "Bob@example.test",
      "eve@example.test",
    ]);
    const stored = (await readFile(path.join(pop3.maildir, "new", id))).toString("latin1");
    expect(stored.match(/^Delivered-To: .*$/gm)).toHaveLength(3);
    for (const [user, own] of [
      ["bob@example.test", "Bob@example.test"],
      ["eve@example.test", "eve@example.test"],
    ] as const) {
      const client = await pop3.connect();
      expect(await client.login(user, "x")).toMatch(/has 1 message /);
      const retr = await client.multi("RETR 1");
      expect(retr.lines.filter((l) => l.startsWith("Delivered-To:"))).toEqual([`Delivered-To: ${own}`]);
      expect(retr.lines).toContain("Subject: for three");
      const ownCopy = stored
        .split("\r\n")
        .filter((line) => !line.startsWith("Delivered-To:") || line === `Delivered-To: ${own}`)
        .join("\r\n");
      expect(retr.body.toString("latin1")).toBe(ownCopy);
      expect(await client.command("LIST 1")).toBe(`+OK 1 ${retr.body.length}`);
      expect((await client.multi("TOP 1 0")).lines.filter((l) => l.startsWith("Delivered-To:"))).toEqual([
        `Delivered-To: ${own}`,
      ]);
      await client.command("QUIT");
    }
  });
});

describe("one maildrop per recipient: DELE", () => {
  it("takes a shared message out of the deleter's maildrop only; the last recipient's DELE removes the file", async () => {
    const pop3 = await start({ settings: { mailbox: "recipient" } });
    const id = await pop3.deliver(crlfMessage("for both"), ["bob@example.test", "carol@example.test"]);
    const inbox = async (user: string): Promise<string> => {
      const client = await pop3.connect();
      const greeting = await client.login(user, "x");
      await client.command("QUIT");
      return greeting;
    };

    const bob = await pop3.connect();
    expect(await bob.login("bob@example.test", "x")).toMatch(/has 1 message /);
    expect(await bob.command("DELE 1")).toMatch(/^\+OK/);
    expect(await bob.command("QUIT")).toMatch(/^\+OK/);
    expect(await inbox("bob@example.test")).toMatch(/has 0 messages/);
    expect(await inbox("carol@example.test")).toMatch(/has 1 message /);
    expect(await readdir(path.join(pop3.maildir, "new"))).toEqual([id]);

    const carol = await pop3.connect();
    await carol.login("carol@example.test", "x");
    expect((await carol.multi("RETR 1")).lines).toContain("Subject: for both");
    await carol.command("DELE 1");
    await carol.command("QUIT");
    expect(await readdir(path.join(pop3.maildir, "new"))).toEqual([]);
    expect(await inbox("carol@example.test")).toMatch(/has 0 messages/);
  });
});

describe("limits", () => {
  it("answers a line over PORTHOST_POP3_MAX_LINE_BYTES at once, drops it and goes on", async () => {
    const pop3 = await start({ settings: { maxLineBytes: 300 } });
    const client = await pop3.connect();
    client.write(`USER ${"a".repeat(400)}`);
    expect(await client.line()).toBe(pop3Replies.lineTooLong(300).line);
    client.write(`${"b".repeat(100_000)}\r\nNOOP\r\n`);
    expect(await client.line()).toBe(pop3Replies.notLoggedIn("NOOP").line);
    expect(await client.command(`USER ${"c".repeat(293)}`)).toMatch(/^\+OK/);
    expect(await client.command(`USER ${"c".repeat(294)}`)).toBe(pop3Replies.lineTooLong(300).line);
  });

  it("closes a session idle for PORTHOST_POP3_IDLE_TIMEOUT_MS with -ERR, deleting nothing", async () => {
    const events: ConnectionEvent[] = [];
    const pop3 = await start({ settings: { idleTimeoutMs: 300 }, events: { send: (e) => events.push(e) } });
    await pop3.deliver(crlfMessage("x"));
    const client = await pop3.connect();
    await client.login();
    await client.command("DELE 1");
    expect(await client.line()).toBe(pop3Replies.idle(300).line);
    await client.closedPromise;
    expect(await readdir(path.join(pop3.maildir, "new"))).toHaveLength(1);
    await expect.poll(() => events[0]).toMatchObject({ outcome: "timeout", detail: expect.stringContaining("idle") });
  });

  it("refuses connections past PORTHOST_POP3_MAX_CONNECTIONS with [SYS/TEMP], reported as limited", async () => {
    const events: ConnectionEvent[] = [];
    const pop3 = await start({ settings: { maxConnections: 2 }, events: { send: (e) => events.push(e) } });
    await pop3.connect();
    await pop3.connect();
    const third = await pop3.connect();
    expect(third.greeting).toBe(pop3Replies.tooManyConnections(2).line);
    await third.closedPromise;
    await expect.poll(() => events.map((e) => e.outcome)).toEqual(["limited"]);
  });
});

describe("pipelining, events and shutdown", () => {
  it("answers pipelined commands in order, one write of many commands", async () => {
    const pop3 = await start();
    await pop3.deliver(crlfMessage("p"));
    const client = await pop3.connect();
    client.write("USER a\r\nPASS b\r\nSTAT\r\nRETR 1\r\nNOOP\r\nQUIT\r\n");
    expect(await client.line()).toMatch(/^\+OK "a": now PASS/);
    expect(await client.line()).toMatch(/^\+OK "a" has 1 message/);
    expect(await client.line()).toMatch(/^\+OK 1 \d+$/);
    expect(await client.line()).toMatch(/^\+OK \d+ octets$/);
    expect(unstuff(await client.body()).toString()).toContain("Subject: p");
    expect(await client.line()).toBe("+OK");
    expect(await client.line()).toMatch(/^\+OK porthost POP3 signing off/);
  });

  it("reports each connection with both ports, bytes, the user and what was fetched", async () => {
    const events: ConnectionEvent[] = [];
    const pop3 = await start({
      settings: { users: [{ username: "ann", password: "pw" }] },
      events: { send: (e) => events.push(e) },
    });
    await pop3.deliver(crlfMessage("e"));
    const client = await pop3.connect();
    await client.login();
    await client.login("ann", "pw");
    await client.multi("RETR 1");
    await client.command("DELE 1");
    const clientPort = client.localPort;
    await client.quit();
    await expect.poll(() => events.length).toBe(1);
    expect(events[0]).toMatchObject({
      service: "pop3",
      transport: "tcp",
      localPort: pop3.port,
      remoteAddress: "127.0.0.1",
      remotePort: clientPort,
      outcome: "ok",
      detail: "user ann, 1 retrieved, 1 deleted",
    });
    expect(events[0]!.bytesIn).toBeGreaterThan(20);
    expect(events[0]!.bytesOut).toBeGreaterThan(events[0]!.bytesIn);
    const refused = await pop3.connect();
    await refused.login("ann", "no");
    await refused.quit();
    await expect.poll(() => events[1]).toMatchObject({ outcome: "refused", detail: "login refused 1x" });
  });

  it("on shutdown tells open sessions, deletes nothing and releases the locks", async () => {
    const pop3 = await start();
    await pop3.deliver(crlfMessage("x"));
    const client = await pop3.connect();
    await client.login();
    await client.command("DELE 1");
    const closing = pop3.pop3.close();
    expect(await client.line()).toBe(pop3Replies.shuttingDown().line);
    await closing;
    await client.closedPromise;
    expect(await readdir(path.join(pop3.maildir, "new"))).toHaveLength(1);
    expect(await lockNames(pop3.maildir)).toEqual([]);
  });

  it("streams a large message to a client that reads slowly, every byte in order", async () => {
    const pop3 = await start();
    const line = `${"x".repeat(998)}\r\n`;
    const big = crlfMessage("big", []) + line.repeat(8_000) + ".\r\n";
    const id = await pop3.deliver(big);
    const client = await pop3.connect();
    await client.login();
    client.socket.pause();
    client.write("RETR 1\r\n");
    await new Promise((resolve) => setTimeout(resolve, 200));
    client.socket.resume();
    const retr = { first: await client.line(), body: unstuff(await client.body()) };
    const stored = (await pop3.store.raw(id))!;
    expect(stored.length).toBeGreaterThan(big.length);
    expect(retr.first).toBe(`+OK ${stored.length} octets`);
    expect(retr.body.equals(stored)).toBe(true);
    expect(await client.command("NOOP")).toBe("+OK");
  }, 30_000);

  it("reports a message removed under the session and goes on", async () => {
    const pop3 = await start();
    const id = await pop3.deliver(crlfMessage("x"));
    const client = await pop3.connect();
    await client.login();
    await unlink(path.join(pop3.maildir, "new", id));
    expect(await client.command("TOP 1 0")).toBe(pop3Replies.messageGone(1).line);
    expect(await client.quit()).toMatch(/^\+OK/);
  });
});
