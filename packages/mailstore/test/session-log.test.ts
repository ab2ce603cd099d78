import { once } from "node:events";
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "@porthost/testkit";
import { testEnvelope } from "../src/testing.js";
import {
  listSessions,
  MailStore,
  newSessionId,
  pruneMargin,
  readSession,
  SESSION_ID_PATTERN,
  SessionLog,
  SessionTranscript,
  TRANSCRIPT_HEAD_LINES,
  TRANSCRIPT_LINE_CHARS,
  TRANSCRIPT_TAIL_LINES,
  type SessionOutcome,
  type SessionRecord,
} from "../src/index.js";

let dir: string;
let remove: () => Promise<void>;
const logs: SessionLog[] = [];

beforeEach(async () => {
  ({ dir, remove } = await tempDir("porthost-sessions-"));
});
afterEach(async () => {
  await Promise.all(logs.splice(0).map((log) => log.close()));
  await remove();
});

async function openLog(max = 1000): Promise<SessionLog> {
  const log = await SessionLog.open(path.join(dir, "sessions"), { max });
  logs.push(log);
  return log;
}

let clock = Date.parse("2026-12-03T06:00:00.000Z");
function record(service: string, outcome: SessionOutcome, lines: string[] = ["QUIT"]): SessionRecord {
  const transcript = new SessionTranscript({
    service,
    client: { address: "127.0.0.1", port: 40000 },
    serverPort: 8025,
    startedAt: (clock += 1000),
  });
  for (const line of lines) transcript.clientLine(line);
  return transcript.finish(outcome, outcome === "ok" ? null : "why");
}

describe("SessionTranscript", () => {
  it("makes ids in smtp-server's form", () => {
    const ids = new Set(Array.from({ length: 100 }, newSessionId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(new RegExp(SESSION_ID_PATTERN));
  });

  it("keeps lines with their offsets, splits multi-line replies and cuts long lines", () => {
    const t = new SessionTranscript({ service: "smtp", client: { address: "::1", port: 1 }, serverPort: 25 });
    t.clientLine("EHLO client.test");
    t.serverReply("250-porthost\r\n250-SIZE 100\r\n250 SMTPUTF8");
    t.clientLine("X".repeat(5000));
    t.serverReply(Array.from({ length: 30 }, (_, i) => `+${i}`).join("\r\n"));
    const finished = t.finish("ok", null);
    expect(finished.transcript.map((l) => [l.from, l.text.slice(0, 12)]).slice(0, 5)).toEqual([
      ["client", "EHLO client."],
      ["server", "250-porthost"],
      ["server", "250-SIZE 100"],
      ["server", "250 SMTPUTF8"],
      ["client", "XXXXXXXXXXXX"],
    ]);
    expect(finished.transcript[4]?.text.length).toBe(TRANSCRIPT_LINE_CHARS);
    expect(finished.transcript.at(-1)).toMatchObject({ from: "note", text: "… 10 more lines of this reply" });
    for (const line of finished.transcript) expect(line.at).toBeGreaterThanOrEqual(0);
  });

  it("keeps a long session's first and last lines, and says how many were left out", () => {
    const t = new SessionTranscript({ service: "pop3", client: { address: "::1", port: 1 }, serverPort: 110 });
    const total = 5000;
    for (let i = 0; i < total; i++) t.clientLine(`NOOP ${i}`);
    const finished = t.finish("ok", null);
    expect(finished.lineCount).toBe(total);
    expect(finished.transcript.length).toBe(TRANSCRIPT_HEAD_LINES + 1 + TRANSCRIPT_TAIL_LINES);
    expect(finished.transcript[0]?.text).toBe("NOOP 0");
    expect(finished.transcript[TRANSCRIPT_HEAD_LINES]?.text).toBe(
      `… ${total - TRANSCRIPT_HEAD_LINES - TRANSCRIPT_TAIL_LINES} lines left out of this record`,
    );
    expect(finished.transcript.at(-1)?.text).toBe(`NOOP ${total - 1}`);
  });
});

describe("SessionLog", () => {
  it("writes each record whole, lists them newest first, filters by service and outcome, and finds one by id", async () => {
    const log = await openLog();
    const records = [record("smtp", "delivered"), record("pop3", "ok"), record("smtp", "rejected")];
    const written = once(log, "written");
    for (const r of records) log.add(r);
    expect((await written)[0]).toEqual(records[0]);
    await log.flush();
    const all = await listSessions(log.dir);
    expect(all.total).toBe(3);
    expect(all.sessions.map((s) => s.id)).toEqual(records.map((r) => r.id).reverse());
    expect(all.sessions[0]).not.toHaveProperty("transcript");
    expect((await listSessions(log.dir, { service: "smtp" })).sessions.map((s) => s.outcome)).toEqual([
      "rejected",
      "delivered",
    ]);
    expect((await listSessions(log.dir, { outcome: "ok" })).sessions.map((s) => s.service)).toEqual(["pop3"]);
    expect((await listSessions(log.dir, { limit: 1 })).sessions).toHaveLength(1);
    expect(await readSession(log.dir, records[1]!.id)).toEqual(records[1]);
    expect(await readSession(log.dir, newSessionId())).toBeUndefined();
  });

  it("lets the records pass max by its margin, then prunes the oldest down to max in one pass", async () => {
    const max = 20;
    expect(pruneMargin(max)).toBe(2);
    const log = await openLog(max);
    const records = Array.from({ length: max + 6 }, () => record("smtp", "ok"));
    const totals: number[] = [];
    for (const r of records) {
      log.add(r);
      await log.flush();
      totals.push((await listSessions(log.dir)).total);
    }
    // Up to max + margin nothing goes; the next record starts a prune back to max, and so on.
    expect(totals.slice(max - 1)).toEqual([20, 21, 22, 20, 21, 22, 20]);
    const { sessions } = await listSessions(log.dir, { limit: 100 });
    expect(sessions.map((s) => s.id)).toEqual(
      records
        .slice(-max)
        .map((r) => r.id)
        .reverse(),
    );
  });

  it("queues at most max records while the disk is busy: the older would be pruned at once", async () => {
    const log = await openLog(3);
    const records = Array.from({ length: 8 }, () => record("smtp", "ok"));
    const written: string[] = [];
    log.on("written", (r) => written.push(r.id));
    for (const r of records) log.add(r);
    await log.flush();
    expect(written).toEqual(records.slice(5).map((r) => r.id));
    expect((await listSessions(log.dir)).total).toBe(3);
  });

  it("never shows a record a writer left half-written in tmp/, and a reader before the directory exists sees none", async () => {
    expect(await listSessions(path.join(dir, "nothing-yet"))).toEqual({ sessions: [], total: 0 });
    const log = await openLog();
    const r = record("smtp", "ok");
    await writeFile(path.join(log.dir, "tmp", `1.1.000001764741600000.smtp.ok.${r.id}.json`), '{"id":"');
    expect(await listSessions(log.dir)).toEqual({ sessions: [], total: 0 });
    expect(await readSession(log.dir, r.id)).toBeUndefined();
    log.add(r);
    await log.flush();
    expect((await readdir(log.dir)).filter((f) => f.endsWith(".json"))).toHaveLength(1);
    expect(await readSession(log.dir, r.id)).toEqual(r);
  });
});

describe("a message's session", () => {
  it("is read from the id clause of porthost's Received: header, and null without one", async () => {
    const store = await MailStore.open(path.join(dir, "Maildir"));
    try {
      const body = () => Readable.from([Buffer.from("Subject: hi\r\n\r\nhello\r\n")]);
      const sessionId = newSessionId();
      const linked = await store.deliver(body(), { envelope: testEnvelope(), receivedBy: { sessionId } });
      const plain = await store.deliver(body(), {});
      expect((await store.summary(linked.id))?.sessionId).toBe(sessionId);
      expect((await store.summary(plain.id))?.sessionId).toBeNull();
    } finally {
      await store.close();
    }
  });
});
