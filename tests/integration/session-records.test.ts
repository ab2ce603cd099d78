import net from "node:net";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maildirRoot, SessionLog, sessionsRoot, type SessionRecord } from "@porthost/mailstore";
import { buildPop3, type Pop3Service } from "@porthost/pop3";
import { readConfig } from "@porthost/ports";
import { buildSmtp, type SmtpService } from "@porthost/smtp";
import { tempDir } from "@porthost/testkit";
import { buildWeb, type WebService } from "@porthost/web";

// As in compose: smtp and pop3 each write their own records into the data dir, the web reads them there.
let smtp: SmtpService;
let pop3: Pop3Service;
let web: WebService;
let smtpLog: SessionLog;
let pop3Log: SessionLog;
let removeData: () => Promise<void>;
let base: string;
let smtpPort: number;
let pop3Port: number;

const nextRecord = (log: SessionLog) => new Promise<SessionRecord>((resolve) => log.once("written", resolve));

beforeAll(async () => {
  const data = await tempDir();
  removeData = data.remove;
  smtpLog = await SessionLog.open(sessionsRoot(data.dir), { max: 1000 });
  pop3Log = await SessionLog.open(sessionsRoot(data.dir), { max: 1000 });
  smtp = buildSmtp({
    host: "127.0.0.1",
    port: 0,
    maildir: maildirRoot(data.dir),
    limits: { maxMessageBytes: 2048 },
    sessions: smtpLog,
  });
  smtpPort = (await smtp.listen())[0]!.port;
  pop3 = buildPop3({ host: "127.0.0.1", port: 0, maildir: maildirRoot(data.dir), sessions: pop3Log });
  pop3Port = (await pop3.listen())[0]!.port;
  web = await buildWeb({ config: readConfig({ PORTHOST_HTTP_PORT: "0", PORTHOST_DATA_DIR: data.dir }) });
  base = `http://127.0.0.1:${(await web.listen())[0]!.port}`;
});

afterAll(async () => {
  await smtp?.close();
  await pop3?.close();
  await web?.close();
  await smtpLog?.close();
  await pop3Log?.close();
  await removeData?.();
});

const getJson = async <T>(path: string): Promise<{ status: number; body: T }> => {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, body: (await response.json()) as T };
};

describe("session records across services", () => {
  it("an accepted and a 552-rejected SMTP session and a POP3 one, on the web API, linked to the message", async () => {
    const transport = nodemailer.createTransport({ host: "127.0.0.1", port: smtpPort, secure: false, ignoreTLS: true });
    const accepted = nextRecord(smtpLog);
    const info = await transport.sendMail({ from: "a@example.test", to: "b@example.test", subject: "ok", text: "hi" });
    const delivered = await accepted;
    const refused = nextRecord(smtpLog);
    await expect(
      transport.sendMail({ from: "a@example.test", to: "b@example.test", subject: "big", text: "x".repeat(5000) }),
    ).rejects.toMatchObject({ responseCode: 552 });
    const rejected = await refused;
    transport.close();

    const retrieved = nextRecord(pop3Log);
    const socket = net.connect({ port: pop3Port, host: "127.0.0.1" });
    socket.write("USER you\r\nPASS anything\r\nQUIT\r\n");
    socket.resume();
    await new Promise((resolve) => socket.once("close", resolve));
    const popped = await retrieved;

    const list = await getJson<{ sessions: SessionRecord[]; total: number }>("/api/sessions");
    expect(list.body.sessions.map((s) => [s.service, s.outcome])).toEqual([
      ["pop3", "ok"],
      ["smtp", "rejected"],
      ["smtp", "delivered"],
    ]);
    expect(list.body.sessions.map((s) => s.id)).toEqual([popped.id, rejected.id, delivered.id]);
    expect(rejected.detail).toMatch(/^552 /);
    expect(popped.user).toBe("you");
    expect(JSON.stringify(popped)).not.toContain("anything");

    const messageId = /queued as (\S+)/.exec(info.response)?.[1] ?? "";
    expect(delivered.messages).toEqual([messageId]);
    const one = await getJson<SessionRecord>(`/api/sessions/${delivered.id}`);
    expect(one.body).toEqual(delivered);
    const message = await getJson<{ summary: { sessionId: string } }>(`/api/messages/${messageId}`);
    expect(message.body.summary.sessionId).toBe(delivered.id);
    expect((await getJson(`/api/sessions?service=smtp&outcome=rejected`)).body).toMatchObject({ total: 1 });
  });
});
