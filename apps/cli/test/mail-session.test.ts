import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maildirRoot, SessionLog, sessionsRoot, type SessionRecord } from "@porthost/mailstore";
import { buildSmtp, type SmtpService } from "@porthost/smtp";
import { tempDir } from "@porthost/testkit";
import { runCli } from "./run-cli.js";

const SECRET = "hunter2-do-not-log";
let dataDir: string;
let removeDir: () => Promise<void>;
let log: SessionLog;
let smtp: SmtpService;
let record: SessionRecord;

/** Says each line and waits for the reply's last line (a code and a space). */
async function chat(port: number, lines: readonly string[]): Promise<string[]> {
  const socket = net.connect({ port, host: "127.0.0.1" });
  socket.setEncoding("utf8");
  let buffer = "";
  const replies: string[] = [];
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const look = () => {
        const last = buffer.split("\r\n").find((line) => /^\d{3} /.test(line));
        if (last === undefined) return;
        buffer = buffer.slice(buffer.indexOf(last) + last.length + 2);
        socket.off("data", onData);
        resolve(last);
      };
      const onData = (chunk: string) => {
        buffer += chunk;
        look();
      };
      socket.on("data", onData);
      socket.once("error", reject);
      look();
    });
  replies.push(await next());
  for (const line of lines) {
    socket.write(`${line}\r\n`);
    replies.push(await next());
  }
  socket.end();
  return replies;
}

beforeAll(async () => {
  ({ dir: dataDir, remove: removeDir } = await tempDir("porthost-cli-session-"));
  // The SMTP service, as porthost start runs it, writing its session records into the data dir.
  log = await SessionLog.open(sessionsRoot(dataDir), { max: 1000 });
  smtp = buildSmtp({ host: "127.0.0.1", port: 0, maildir: maildirRoot(dataDir), sessions: log });
  const [endpoint] = await smtp.listen();
  const written = new Promise<SessionRecord>((resolve) => log.once("written", resolve));
  const auth = Buffer.from(`\0app\0${SECRET}`).toString("base64");
  await chat(endpoint?.port ?? 0, [
    "EHLO client.test",
    `AUTH PLAIN ${auth}`,
    "MAIL FROM:<ann@example.test>",
    "RCPT TO:<bob@example.test>",
    "DATA",
    "Subject: hi\r\n\r\nhello\r\n.",
    "QUIT",
  ]);
  record = await written;
});

afterAll(async () => {
  await smtp.close();
  await log.close();
  await removeDir();
});

const env = () => ({ PORTHOST_DATA_DIR: dataDir });

describe("porthost mail session", () => {
  it("prints a session's transcript: both ends, HELO, AUTH user, outcome, the message, each line with its time", async () => {
    const { code, stdout } = await runCli(["mail", "session", record.id], env());
    expect(code).toBe(0);
    const [messageId] = record.messages;
    expect(stdout).toContain(`session  ${record.id}, smtp, delivered: 1 stored`);
    expect(stdout).toContain(`client   127.0.0.1:${record.client.port} -> port ${record.server.port}`);
    expect(stdout).toContain("helo     client.test");
    expect(stdout).toContain("user     app");
    expect(stdout).toContain(`stored   ${messageId}`);
    expect(stdout).toMatch(/^ *\d+\.\d ms {2}C: AUTH PLAIN \[secret elided\]$/m);
    expect(stdout).toMatch(new RegExp(`^ *\\d+\\.\\d ms {2}S: 250 2\\.0\\.0 Ok: queued as ${messageId}$`, "m"));
    expect(stdout).not.toContain(SECRET);
  });

  it("--json gives the record as GET /api/sessions/<id> does; latest and the list find it", async () => {
    const json = await runCli(["mail", "session", record.id, "--json"], env());
    expect(JSON.parse(json.stdout)).toEqual(record);
    expect((await runCli(["mail", "session", "latest"], env())).stdout).toContain(record.id);
    const list = await runCli(["mail", "session"], env());
    expect(list.stdout).toMatch(new RegExp(`^${record.id} .* smtp .* delivered .*1 stored`, "m"));
  });

  it("an id not on record fails with one line; one that cannot be an id is a usage error", async () => {
    const missing = await runCli(["mail", "session", "0000000000000000"], env());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no session 0000000000000000 on record/);
    const malformed = await runCli(["mail", "session", "../etc"], env());
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/is not a session id/);
  });
});
