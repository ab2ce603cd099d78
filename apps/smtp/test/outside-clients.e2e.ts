import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MailStore } from "@porthost/mailstore";
import { requireTool } from "@porthost/testkit";
import { startSmtp, type RunningSmtp } from "./start-smtp.js";

const run = promisify(execFile);

let running: RunningSmtp;
let store: MailStore;
beforeAll(async () => {
  running = await startSmtp({ users: [{ username: "app", password: "secret" }] });
  store = await MailStore.open(running.maildir);
});
afterAll(async () => {
  await store.close();
  await running.stop();
});

async function python(script: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(requireTool("python3"), ["-c", script, ...args], { encoding: "utf8" });
  return stdout;
}

describe("outside clients", () => {
  it("swaks sends with AUTH, pipelining and an attachment", async () => {
    const swaks = requireTool("swaks");
    const { stdout } = await run(
      swaks,
      [
        "--server",
        "127.0.0.1",
        "--port",
        String(running.port),
        "--from",
        "swaks@example.test",
        "--to",
        "dev@example.test",
        "--auth",
        "LOGIN",
        "--auth-user",
        "app",
        "--auth-password",
        "secret",
        "--pipeline",
        "--header",
        "Subject: from swaks",
        "--body",
        "swaks body",
        "--attach-type",
        "text/plain",
        "--attach-name",
        "note.txt",
        "--attach",
        "@/etc/hostname",
      ],
      { encoding: "utf8" },
    );
    const id = /<-\s+250 2\.0\.0 Ok: queued as (\S+)/.exec(stdout)?.[1] ?? "";
    expect(id).not.toBe("");
    const message = await store.get(id);
    expect(message?.summary).toMatchObject({ subject: "from swaks", envelope: { authUser: "app" } });
    expect(message?.attachments.map((a) => a.filename)).toEqual(["note.txt"]);
  });

  it("swaks with wrong credentials is refused with 535", async () => {
    const swaks = requireTool("swaks");
    const failed = await run(
      swaks,
      [
        "--server",
        "127.0.0.1",
        "--port",
        String(running.port),
        "--to",
        "dev@example.test",
        "--auth",
        "PLAIN",
        "--auth-user",
        "app",
        "--auth-password",
        "wrong",
      ],
      { encoding: "utf8" },
    ).catch((error: { stdout: string }) => error);
    expect("stdout" in failed ? failed.stdout : "").toMatch(/<\*\*\s+535 5\.7\.8/);
  });

  it("Python's smtplib sends UTF-8 with SMTPUTF8 and 8BITMIME", async () => {
    const out = await python(
      `
import smtplib, sys
from email.message import EmailMessage
msg = EmailMessage()
msg["From"] = "Zoë <zoë@exämple.test>"
msg["To"] = "josé@例え.test"
msg["Subject"] = "Grüße von smtplib"
msg.set_content("naïve café ✓\\n", cte="8bit")
with smtplib.SMTP("127.0.0.1", int(sys.argv[1])) as s:
    s.ehlo("python.test")
    assert s.has_extn("smtputf8") and s.has_extn("8bitmime") and s.has_extn("pipelining")
    # smtplib itself adds SMTPUTF8 and BODY=8BITMIME for a message like this one.
    s.send_message(msg)
    print(s.noop()[0])
`,
      String(running.port),
    );
    expect(out.trim()).toBe("250");
    const page = await store.list({ query: "smtplib" });
    expect(page.messages[0]).toMatchObject({ subject: "Grüße von smtplib", to: ["josé@例え.test"] });
    const message = await store.get(page.messages[0]?.id ?? "");
    expect(message?.text).toBe("naïve café ✓\n");
    expect(message?.summary.envelope).toMatchObject({
      smtputf8: true,
      body: "8BITMIME",
      client: { helo: "python.test" },
    });
  });

  it("Python's mailbox.Maildir reads what was stored and ignores the envelopes; its moves keep the id", async () => {
    const out = await python(
      `
import email, email.policy, mailbox, json, sys
box = mailbox.Maildir(sys.argv[1], factory=None, create=False)
keys = sorted(box.keys())
# UTF-8 headers (SMTPUTF8) need the modern policy; mailbox's default is compat32.
parsed = [email.message_from_bytes(box.get_bytes(k), policy=email.policy.default) for k in keys]
print(json.dumps({
  "folders": box.list_folders(),
  "keys": keys,
  "subjects": sorted(str(m["subject"]) for m in parsed),
  "received": all(m.get_all("Received") for m in parsed),
}))
key = keys[0]
m = box.get_message(key)
m.set_subdir("cur")
m.add_flag("S")
box[key] = m
box.flush()
`,
      running.maildir,
    );
    const seen = JSON.parse(out) as { folders: string[]; keys: string[]; subjects: string[]; received: boolean };
    expect(seen.folders).toEqual([]);
    const page = await store.list({ limit: 100 });
    expect(seen.keys).toEqual(page.messages.map((m) => m.id).sort());
    expect(seen.subjects).toEqual(page.messages.map((m) => m.subject).sort());
    expect(seen.received).toBe(true);
    const moved = (await store.list({ limit: 100 })).messages.find((m) => m.id === seen.keys[0]);
    expect(moved?.flags).toBe("S");
    expect((await store.raw(seen.keys[0] ?? ""))?.length).toBeGreaterThan(0);
  });
});
