import net from "node:net";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ConnectionEvent } from "@porthost/events";
import { listSessions, SessionLog, traceSessionId, type SessionRecord } from "@porthost/mailstore";
import { checkPort, tempDir } from "@porthost/testkit";
import { RawSmtp } from "./smtp-client.js";
import { startTlsSmtp, type RunningTlsSmtp } from "./start-tls-smtp.js";

let running: RunningTlsSmtp | undefined;
let removeDir: (() => Promise<void>) | undefined;
const clients: RawSmtp[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await running?.stop();
  running = undefined;
  await removeDir?.();
  removeDir = undefined;
});

/** Each record as the log writes it, in order, and a wait for the next one. */
function collect(log: SessionLog) {
  const records: SessionRecord[] = [];
  const waiters: ((record: SessionRecord) => void)[] = [];
  log.on("written", (record) => {
    const waiter = waiters.shift();
    if (waiter) waiter(record);
    else records.push(record);
  });
  return {
    next: (): Promise<SessionRecord> => {
      const kept = records.shift();
      return kept ? Promise.resolve(kept) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

const events: ConnectionEvent[] = [];
const sink = { send: (event: ConnectionEvent) => void events.push(event) };

async function start(options: Parameters<typeof startTlsSmtp>[0] = {}, max = 1000) {
  const { dir, remove } = await tempDir("porthost-smtp-sessions-");
  removeDir = remove;
  const log = await SessionLog.open(path.join(dir, "sessions"), { max });
  running = await startTlsSmtp({ ...options, sessions: log, events: sink });
  return { log, records: collect(log), dir: log.dir };
}

async function connect(port: number): Promise<RawSmtp> {
  const client = await RawSmtp.connect(port);
  clients.push(client);
  expect((await client.reply()).code).toBe(220);
  return client;
}

const lines = (record: SessionRecord) =>
  record.transcript.map((line) => `${{ client: "C", server: "S", note: "*" }[line.from]}: ${line.text}`);

const SECRET = "hunter2-do-not-log";
const plainAuth = Buffer.from(`\0app\0${SECRET}`).toString("base64");

describe("SMTP session records", () => {
  it("an accepted session: every command and reply with its time, AUTH elided, the body left out, the message linked both ways", async () => {
    const { records, dir } = await start({ users: [{ username: "app", password: SECRET }] });
    const client = await connect(running!.port);
    const clientPort = client.socket.localPort;
    await client.command("EHLO client.test");
    expect((await client.command(`AUTH PLAIN ${plainAuth}`)).code).toBe(235);
    await client.command("MAIL FROM:<ann@example.test>");
    await client.command("RCPT TO:<bob@example.test>");
    expect((await client.command("DATA")).code).toBe(354);
    const queued = await client.command("Subject: hi\r\n\r\nthe body says swordfish\r\n.");
    const messageId = /queued as (\S+)/.exec(queued.text)?.[1] ?? "";
    await client.command("QUIT");
    const record = await records.next();

    expect(record).toMatchObject({
      service: "smtp",
      outcome: "delivered",
      detail: "1 stored",
      helo: "client.test",
      user: "app",
      tls: null,
      messages: [messageId],
      client: { address: "127.0.0.1", port: clientPort },
      server: { port: running!.port },
    });
    expect(lines(record)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^S: 220 /),
        "C: EHLO client.test",
        "C: AUTH PLAIN [secret elided]",
        "C: MAIL FROM:<ann@example.test>",
        expect.stringMatching(/^\*: <message data: \d+ bytes, not on record>$/),
        `S: 250 2.0.0 Ok: queued as ${messageId}`,
        "C: QUIT",
      ]),
    );
    const offsets = record.transcript.map((line) => line.at);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    // The message names its session in its Received: header, and the connection event names it too.
    expect(traceSessionId((await running!.read(messageId)).toString("latin1"))).toBe(record.id);
    expect(events.find((e) => e.remotePort === clientPort)?.session).toBe(record.id);
    // Neither the secret nor the body is anywhere on disk.
    const [file] = (await readdir(dir)).filter((name) => name.endsWith(".json"));
    const text = await readFile(path.join(dir, file ?? ""), "utf8");
    for (const secret of [SECRET, plainAuth, "swordfish"]) expect(text).not.toContain(secret);
  });

  it("AUTH LOGIN's user and password lines are elided", async () => {
    const { records } = await start();
    const client = await connect(running!.port);
    await client.command("EHLO client.test");
    const user = Buffer.from("someone").toString("base64");
    const password = Buffer.from(SECRET).toString("base64");
    expect((await client.command("AUTH LOGIN")).code).toBe(334);
    expect((await client.command(user)).code).toBe(334);
    expect((await client.command(password)).code).toBe(235);
    await client.command("QUIT");
    const record = await records.next();
    expect(record.user).toBe("someone");
    expect(lines(record).filter((line) => line.startsWith("C: "))).toEqual([
      "C: EHLO client.test",
      "C: AUTH LOGIN",
      "C: [secret elided]",
      "C: [secret elided]",
      "C: QUIT",
    ]);
    expect(JSON.stringify(record)).not.toContain(password);
  });

  it("a message over the size limit: rejected with its 552, nothing stored", async () => {
    const { records } = await start({ limits: { maxMessageBytes: 1024 } });
    const client = await connect(running!.port);
    await client.command("EHLO client.test");
    await client.command("MAIL FROM:<ann@example.test>");
    await client.command("RCPT TO:<bob@example.test>");
    await client.command("DATA");
    expect((await client.command(`Subject: big\r\n\r\n${"x".repeat(4000)}\r\n.`)).code).toBe(552);
    await client.command("QUIT");
    const record = await records.next();
    expect(record).toMatchObject({ outcome: "rejected", messages: [] });
    expect(record.detail).toMatch(/^552 /);
    expect(lines(record)).toContain(`S: ${record.detail ?? ""}`);
  });

  it("a client that aborts the handshake after STARTTLS: tls-failed", async () => {
    const { records } = await start();
    const client = await connect(running!.port);
    await client.command("EHLO client.test");
    expect((await client.command("STARTTLS")).code).toBe(220);
    client.write("not a TLS ClientHello\r\n");
    await client.ended();
    const record = await records.next();
    expect(record.outcome).toBe("tls-failed");
    expect(record.detail).toMatch(/^TLS handshake failed: /);
    expect(lines(record).slice(-2)).toEqual(["C: STARTTLS", expect.stringMatching(/^S: 220 /)]);
  });

  it("plain text on the implicit TLS port: a tls-failed record of its own, linked from the event", async () => {
    const { records } = await start();
    const socket = net.connect({ port: running!.ports.submissions, host: "127.0.0.1" });
    socket.on("error", () => undefined);
    socket.write("EHLO client.test\r\n");
    const record = await records.next();
    socket.destroy();
    expect(record).toMatchObject({ service: "submissions", outcome: "tls-failed", user: null, helo: null });
    expect(record.detail).toMatch(/^TLS handshake failed: /);
  });

  it("a port check (connect, then close or reset without a byte) on 25 and 465 is no session: no record, no link", async () => {
    const { records } = await start();
    for (const port of [running!.port, running!.ports.submissions!]) {
      for (const ending of ["close", "reset"] as const) {
        const from = await checkPort(port, ending);
        // Its connection event says it was a port check, with no session to link to.
        const event = () => events.find((e) => e.localPort === port && e.remotePort === from);
        await expect.poll(event).toMatchObject({ probe: true, session: undefined });
      }
    }
    // The first record is the first real session, after all four checks.
    const client = await connect(running!.port);
    await client.command("EHLO client.test");
    await client.command("QUIT");
    expect(lines(await records.next()).slice(0, 2)).toEqual([expect.stringMatching(/^S: 220 /), "C: EHLO client.test"]);
  });

  it("a silent client: timeout, with the 421 it was sent", async () => {
    const { records } = await start({ limits: { idleTimeoutMs: 200 } });
    const client = await connect(running!.port);
    await client.command("EHLO client.test");
    await client.ended();
    const record = await records.next();
    expect(record.outcome).toBe("timeout");
    expect(record.detail).toMatch(/^421 4\.4\.2 Timeout/);
  });

  it("keeps PORTHOST_SESSIONS_MAX records, the newest, once they pass it by its margin", async () => {
    const { records, dir } = await start({}, 2);
    const ids: string[] = [];
    // A limit of 2 has a margin of 1: the fourth record takes the directory past 3, and a prune back to 2.
    for (let i = 0; i < 4; i++) {
      const client = await connect(running!.port);
      await client.command("QUIT");
      ids.push((await records.next()).id);
    }
    const { sessions, total } = await listSessions(dir);
    expect(total).toBe(2);
    expect(sessions.map((s) => s.id)).toEqual(ids.slice(2).reverse());
  });
});
