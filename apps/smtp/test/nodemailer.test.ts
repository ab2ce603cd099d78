import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import nodemailer from "nodemailer";
import { afterEach, describe, expect, it } from "vitest";
import { MailStore } from "@porthost/mailstore";
import { startSmtp, type RunningSmtp } from "./start-smtp.js";
import { startTlsSmtp, type RunningTlsSmtp } from "./start-tls-smtp.js";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
const tls = {
  cert: readFileSync(path.join(fixtures, "test-cert.pem")),
  key: readFileSync(path.join(fixtures, "test-key.pem")),
};

let running: RunningSmtp | undefined;
let reader: MailStore | undefined;
afterEach(async () => {
  await reader?.close();
  reader = undefined;
  await running?.stop();
  running = undefined;
});

function transport(port: number, extra: Record<string, unknown> = {}) {
  return nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true, ...extra });
}

async function storeOf(run: RunningSmtp): Promise<MailStore> {
  reader = await MailStore.open(run.maildir);
  return reader;
}

describe("SMTP with nodemailer", () => {
  it("stores a message with attachments, a UTF-8 subject and addresses, and an 8-bit body", async () => {
    running = await startSmtp();
    const payload = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const info = await transport(running.port).sendMail({
      from: "Zoë <zoë@exämple.test>",
      to: ["José <josé@例え.test>", "plain@example.test"],
      bcc: "hidden@example.test",
      subject: "Grüße aus Köln ✉",
      text: "8-bit body: naïve café — ✓\n",
      attachments: [
        { filename: "bytes.bin", content: payload },
        { filename: "notes.txt", content: "plain text attachment" },
      ],
    });
    expect(info.response).toMatch(/^250 2\.0\.0 Ok: queued as \S+$/);
    const id = info.response.split(" ").at(-1) ?? "";
    const store = await storeOf(running);
    const message = await store.get(id);
    expect(message?.summary.subject).toBe("Grüße aus Köln ✉");
    expect(message?.summary.from).toContain("zoë@exämple.test");
    expect(message?.summary.envelope).toMatchObject({
      mailFrom: "zoë@exämple.test",
      rcptTo: ["josé@例え.test", "plain@example.test", "hidden@example.test"],
      smtputf8: true,
    });
    expect(message?.text).toBe("8-bit body: naïve café — ✓\n");
    expect(message?.attachments.map((a) => [a.filename, a.size])).toEqual([
      ["bytes.bin", 256],
      ["notes.txt", 21],
    ]);
    expect((await store.attachment(id, 0))?.content).toEqual(payload);
    const raw = (await store.raw(id))?.toString("utf8") ?? "";
    expect(raw).toContain("zoë@exämple.test");
    // The Bcc recipient is in the envelope's trace headers (as Postfix's Delivered-To), in no header the sender wrote.
    expect(raw).toContain("\r\nDelivered-To: hidden@example.test\r\n");
    expect(raw.slice(raw.indexOf("\r\nReceived: ") + 2)).not.toContain("hidden@example.test");

    // An 8-bit body as the client wrote it (BODY=8BITMIME), bytes kept exactly.
    const body = Buffer.concat([
      Buffer.from("Subject: raw\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"),
      Buffer.from("Grüße ✓ ", "utf8"),
      Buffer.from([0xe9, 0x0d, 0x0a]),
    ]);
    const rawInfo = await transport(running.port).sendMail({
      envelope: { from: "a@example.test", to: ["b@example.test"] },
      raw: body,
    });
    const stored = await store.raw(rawInfo.response.split(" ").at(-1) ?? "");
    expect(stored?.subarray(stored.length - body.length)).toEqual(body);
  });

  it("stores every message of a connection pool", async () => {
    running = await startSmtp();
    const pool = transport(running.port, { pool: true, maxConnections: 4, maxMessages: 10 });
    const sent = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        pool.sendMail({ from: "a@example.test", to: "b@example.test", subject: `pooled ${i}`, text: `n=${i}` }),
      ),
    );
    pool.close();
    const ids = sent.map((info) => info.response.split(" ").at(-1));
    expect(new Set(ids).size).toBe(30);
    expect(await running.stored()).toEqual([...ids].sort());
    const store = await storeOf(running);
    const page = await store.list({ limit: 100 });
    expect(page.messages.map((m) => m.subject).sort()).toEqual(
      Array.from({ length: 30 }, (_, i) => `pooled ${i}`).sort(),
    );
  }, 30_000); // 30 durable deliveries: on a loaded 2-core machine they took more than the default 5 s

  it("accepts any credentials by default and only configured ones when set", async () => {
    running = await startSmtp();
    const anyone = await transport(running.port, { auth: { user: "whoever", pass: "anything" } }).sendMail({
      from: "a@example.test",
      to: "b@example.test",
      text: "x",
    });
    const store = await storeOf(running);
    expect((await store.summary(anyone.response.split(" ").at(-1) ?? ""))?.envelope?.authUser).toBe("whoever");
    await running.stop();

    running = await startSmtp({ users: [{ username: "app", password: "s3cret:x" }] });
    for (const method of ["PLAIN", "LOGIN"]) {
      const ok = transport(running.port, { auth: { user: "app", pass: "s3cret:x", method } });
      await expect(ok.sendMail({ from: "a@example.test", to: "b@example.test", text: "x" })).resolves.toBeDefined();
      const bad = transport(running.port, { auth: { user: "app", pass: "wrong", method } });
      await expect(bad.sendMail({ from: "a@example.test", to: "b@example.test", text: "x" })).rejects.toMatchObject({
        responseCode: 535,
      });
    }
    // AUTH stays optional: a client that does not authenticate is still accepted.
    await expect(
      transport(running.port).sendMail({ from: "a@example.test", to: "b@example.test", text: "x" }),
    ).resolves.toBeDefined();
    expect(await running.stored()).toHaveLength(3);
  });

  it("offers STARTTLS with a certificate and records the TLS session", async () => {
    running = await startSmtp({ tls });
    const info = await transport(running.port, {
      ignoreTLS: false,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
    }).sendMail({ from: "a@example.test", to: "b@example.test", subject: "secret", text: "over TLS" });
    const store = await storeOf(running);
    const summary = await store.summary(info.response.split(" ").at(-1) ?? "");
    expect(summary?.envelope?.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
    expect((await store.raw(summary?.id ?? ""))?.toString()).toMatch(/with ESMTPS id/);
  });

  it("keeps at most maxMessages (PORTHOST_MAIL_MAX), pruning the oldest after answering", async () => {
    running = await startSmtp({ maxMessages: 3 });
    const mailer = transport(running.port);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const info = await mailer.sendMail({ from: "a@example.test", to: "b@example.test", subject: `r${i}`, text: "x" });
      ids.push(info.response.split(" ").at(-1) ?? "");
    }
    await running.smtp.store?.pruned();
    expect(await running.stored()).toEqual(ids.slice(2).sort());
  });

  it("refuses a message over the size limit with 552", async () => {
    running = await startSmtp({ limits: { maxMessageBytes: 4096 } });
    await expect(
      transport(running.port).sendMail({ from: "a@example.test", to: "b@example.test", text: "z".repeat(20_000) }),
    ).rejects.toMatchObject({ responseCode: 552 });
    expect(await running.stored()).toEqual([]);
  });
});

describe("nodemailer over TLS, trusting the dev CA only", () => {
  let tlsRunning: RunningTlsSmtp | undefined;
  afterEach(async () => {
    await tlsRunning?.stop();
    tlsRunning = undefined;
  });

  it("sends on 465 with secure: true and on 587 with STARTTLS (requireTLS), AUTH on both", async () => {
    tlsRunning = await startTlsSmtp({ users: [{ username: "app", password: "secret" }] });
    const auth = { user: "app", pass: "secret" };
    const tls = { ca: tlsRunning.ca, servername: "localhost" };
    const implicit = nodemailer.createTransport({
      host: "127.0.0.1",
      port: tlsRunning.ports.submissions,
      secure: true,
      auth,
      tls,
    });
    const upgraded = nodemailer.createTransport({
      host: "127.0.0.1",
      port: tlsRunning.ports.submission,
      secure: false,
      requireTLS: true,
      auth,
      tls,
    });
    for (const [transporter, subject] of [
      [implicit, "nodemailer on 465"],
      [upgraded, "nodemailer on 587"],
    ] as const) {
      const info = await transporter.sendMail({
        from: "app@example.test",
        to: "dev@example.test",
        subject,
        text: "hi",
      });
      expect(info.response).toMatch(/^250 2\.0\.0 Ok: queued as /);
      const stored = (await tlsRunning.read(info.response.split(" ").at(-1) ?? "")).toString();
      expect(stored).toContain(`Subject: ${subject}`);
      expect(stored).toMatch(/with ESMTPSA/);
    }
  });

  it("refuses the dev certificate when it trusts only the system's CAs", async () => {
    tlsRunning = await startTlsSmtp();
    const transporter = nodemailer.createTransport({
      host: "127.0.0.1",
      port: tlsRunning.ports.submissions,
      secure: true,
    });
    await expect(transporter.sendMail({ from: "a@example.test", to: "b@example.test", text: "x" })).rejects.toThrow(
      /unable to verify the first certificate|unable to get local issuer certificate/,
    );
  });
});
