import { createHash } from "node:crypto";
import net from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ConnectionEvent } from "@porthost/events";
import { SessionLog, type SessionRecord } from "@porthost/mailstore";
import { checkPort, tempDir, testTlsMaterial } from "@porthost/testkit";
import { crlfMessage, startPop3, type RunningPop3 } from "./pop3-client.js";

let running: RunningPop3 | undefined;
let removeDir: (() => Promise<void>) | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await removeDir?.();
  removeDir = undefined;
});

const SECRET = "hunter2-do-not-log";

async function start(settings: { idleTimeoutMs?: number; users?: { username: string; password: string }[] } = {}) {
  const { dir, remove } = await tempDir("porthost-pop3-sessions-");
  removeDir = remove;
  const log = await SessionLog.open(path.join(dir, "sessions"), { max: 1000 });
  const written: SessionRecord[] = [];
  const waiters: ((record: SessionRecord) => void)[] = [];
  log.on("written", (record) => (waiters.shift() ?? ((r) => written.push(r)))(record));
  const events: ConnectionEvent[] = [];
  running = await startPop3({
    tls: testTlsMaterial(),
    pop3sPort: 0,
    settings,
    sessions: log,
    events: { send: (event) => void events.push(event) },
  });
  const next = (): Promise<SessionRecord> =>
    written.length > 0 ? Promise.resolve(written.shift() as SessionRecord) : new Promise((r) => waiters.push(r));
  return { running, next, events };
}

const lines = (record: SessionRecord) =>
  record.transcript.map((line) => `${{ client: "C", server: "S", note: "*" }[line.from]}: ${line.text}`);

describe("POP3 session records", () => {
  it("a login and a retrieval: commands and replies on record, PASS elided, the message itself not", async () => {
    const { running, next, events } = await start({ users: [{ username: "you", password: SECRET }] });
    await running.deliver(crlfMessage("on record", ["the body says swordfish"]));
    const client = await running.connect();
    const clientPort = client.localPort;
    expect(await client.login("you", SECRET)).toMatch(/^\+OK/);
    expect((await client.multi("RETR 1")).body.toString()).toContain("swordfish");
    await client.quit();
    const record = await next();
    expect(record).toMatchObject({
      service: "pop3",
      outcome: "ok",
      detail: "user you, 1 retrieved, 0 deleted",
      user: "you",
      helo: null,
      messages: [],
      client: { address: "127.0.0.1", port: clientPort },
      server: { port: running.port },
    });
    expect(lines(record)).toEqual([
      expect.stringMatching(/^S: \+OK porthost POP3 ready </),
      "C: USER you",
      'S: +OK "you": now PASS',
      "C: PASS [secret elided]",
      expect.stringMatching(/^S: \+OK "you" has 1 message/),
      "C: RETR 1",
      expect.stringMatching(/^S: \+OK \d+ octets$/),
      "C: QUIT",
      expect.stringMatching(/^S: \+OK porthost POP3 signing off/),
    ]);
    const text = JSON.stringify(record);
    for (const hidden of [SECRET, "swordfish"]) expect(text).not.toContain(hidden);
    expect(events.find((e) => e.remotePort === clientPort)?.session).toBe(record.id);
  });

  it("APOP's digest is elided; a refused login is rejected with its -ERR", async () => {
    const { running, next } = await start({ users: [{ username: "you", password: SECRET }] });
    const client = await running.connect();
    const stamp = /<[^>]+>/.exec(client.greeting)?.[0] ?? "";
    const digest = createHash("md5").update(`${stamp}wrong`).digest("hex");
    expect(await client.command(`APOP you ${digest}`)).toMatch(/^-ERR/);
    await client.quit();
    const record = await next();
    expect(lines(record)).toContain("C: APOP you [secret elided]");
    expect(JSON.stringify(record)).not.toContain(digest);
    expect(record.outcome).toBe("rejected");
    expect(record.detail).toMatch(/^-ERR \[AUTH\]/);
  });

  it("a client that aborts the handshake after STLS: tls-failed", async () => {
    const { running, next } = await start();
    const client = await running.connect();
    expect(await client.command("STLS")).toBe("+OK begin TLS negotiation");
    client.write("not a TLS ClientHello\r\n");
    await client.closedPromise;
    const record = await next();
    expect(record.outcome).toBe("tls-failed");
    expect(record.detail).toMatch(/^TLS handshake failed: /);
  });

  it("plain text on 995: a tls-failed record of pop3s, linked from the event", async () => {
    const { running, next, events } = await start();
    const port = (running.pop3.pop3sServer?.address() as net.AddressInfo).port;
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.on("error", () => undefined);
    socket.write("USER you\r\n");
    const record = await next();
    socket.destroy();
    expect(record).toMatchObject({ service: "pop3s", outcome: "tls-failed", user: null, tls: null });
    expect(record.detail).toMatch(/^TLS handshake failed: /);
    expect(events.find((e) => e.service === "pop3s")?.session).toBe(record.id);
  });

  it("a port check (connect, then close or reset without a byte) on 110 and 995 is no session: no record, no link", async () => {
    const { running, next, events } = await start();
    const ports = [
      (running.pop3.server.address() as net.AddressInfo).port,
      (running.pop3.pop3sServer?.address() as net.AddressInfo).port,
    ];
    for (const port of ports) {
      for (const ending of ["close", "reset"] as const) {
        const from = await checkPort(port, ending);
        // Its connection event says it was a port check, with no session to link to.
        const event = () => events.find((e) => e.localPort === port && e.remotePort === from);
        await expect.poll(event).toMatchObject({ probe: true, session: undefined });
      }
    }
    // The first record is the first real session, after all four checks.
    const client = await running.connect();
    await client.quit();
    expect(lines(await next())).toContain("C: QUIT");
  });

  it("a silent client: timeout, with the -ERR it was sent", async () => {
    const { running, next } = await start({ idleTimeoutMs: 200 });
    const client = await running.connect();
    await client.closedPromise;
    const record = await next();
    expect(record.outcome).toBe("timeout");
    expect(record.detail).toMatch(/^-ERR .*idle for 200 ms/);
  });
});
