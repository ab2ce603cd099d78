import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MailStore,
  maildirRoot,
  newSessionId,
  SessionLog,
  sessionsRoot,
  SessionTranscript,
  type SessionRecord,
} from "@porthost/mailstore";
import { testEnvelope } from "@porthost/mailstore/testing";
import { readConfig } from "@porthost/ports";
import { buildWeb, type WebService } from "../src/index.js";

const dataDir = mkdtempSync(path.join(tmpdir(), "porthost-web-sessions-"));
let web: WebService;
let messageId: string;
const records: SessionRecord[] = [];

let clock = Date.now() - 60_000;
function session(service: string, start: (t: SessionTranscript) => void): SessionTranscript {
  const client = { address: "127.0.0.1", port: 40000 };
  const t = new SessionTranscript({ service, client, serverPort: 8025, startedAt: (clock += 1000) });
  start(t);
  return t;
}

beforeAll(async () => {
  // Written as the SMTP and POP3 services write them, from "another process": a log and a store of their own.
  const log = await SessionLog.open(sessionsRoot(dataDir), { max: 1000 });
  const store = await MailStore.open(maildirRoot(dataDir), { watch: false });
  const delivered = session("smtp", (t) => t.clientLine("EHLO client.test"));
  messageId = (
    await store.deliver(Readable.from([Buffer.from("Subject: hi\r\n\r\nhello\r\n")]), {
      envelope: testEnvelope(),
      receivedBy: { sessionId: delivered.id },
    })
  ).id;
  delivered.messages.push(messageId);
  records.push(delivered.finish("delivered", "1 stored"));
  records.push(session("smtp", (t) => t.serverReply("552 5.3.4 Message too big")).finish("rejected", "552 5.3.4"));
  records.push(session("pop3", (t) => t.clientLine("QUIT")).finish("ok", "no login"));
  for (const record of records) log.add(record);
  await log.close();
  await store.close();
  web = await buildWeb({ config: readConfig({ PORTHOST_DATA_DIR: dataDir }, "/") });
});
afterAll(async () => {
  await web.close();
});

describe("GET /api/sessions", () => {
  it("lists what smtp and pop3 wrote, newest first, with filters", async () => {
    const all = (await web.app.inject({ url: "/api/sessions" })).json<{ sessions: SessionRecord[]; total: number }>();
    expect(all.total).toBe(3);
    expect(all.sessions.map((s) => s.id)).toEqual(records.map((r) => r.id).reverse());
    expect(all.sessions[0]).not.toHaveProperty("transcript");
    const rejected = (await web.app.inject({ url: "/api/sessions?service=smtp&outcome=rejected" })).json<{
      sessions: SessionRecord[];
    }>();
    expect(rejected.sessions.map((s) => s.detail)).toEqual(["552 5.3.4"]);
    expect((await web.app.inject({ url: "/api/sessions?limit=1" })).json<{ sessions: [] }>().sessions).toHaveLength(1);
    expect((await web.app.inject({ url: "/api/sessions?outcome=sideways" })).statusCode).toBe(400);
  });
});

describe("GET /api/sessions/:id", () => {
  it("gives one record with its transcript, and the message names it as its sessionId", async () => {
    const first = records[0] as SessionRecord;
    const reply = await web.app.inject({ url: `/api/sessions/${first.id}` });
    expect(reply.statusCode).toBe(200);
    expect(reply.json()).toEqual(first);
    const message = (await web.app.inject({ url: `/api/messages/${messageId}` })).json<{
      summary: { sessionId: string };
    }>();
    expect(message.summary.sessionId).toBe(first.id);
    const list = (await web.app.inject({ url: "/api/messages" })).json<{ messages: { sessionId: string }[] }>();
    expect(list.messages[0]?.sessionId).toBe(first.id);
  });

  it("404 with a message for an id not on record, 400 for one that cannot be an id", async () => {
    const missing = await web.app.inject({ url: `/api/sessions/${newSessionId()}` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: "PORTHOST_WEB_NO_SUCH_SESSION", message: /GET \/api\/sessions/ });
    const malformed = await web.app.inject({ url: "/api/sessions/..%2F..%2Fetc" });
    expect(malformed.statusCode).toBe(400);
  });

  it("is documented at /api/docs from the same schemas", async () => {
    const doc = (await web.app.inject({ url: "/api/docs/openapi.json" })).json<{
      paths: Record<string, { get?: { responses: Record<string, unknown> } }>;
    }>();
    expect(Object.keys(doc.paths["/api/sessions/{id}"]?.get?.responses ?? {})).toEqual(["200", "400", "404"]);
    expect(doc.paths["/api/sessions"]?.get).toBeDefined();
  });
});
