import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { maildirRoot, SessionLog, sessionsRoot, type SessionRecord } from "@porthost/mailstore";
import { readConfig } from "@porthost/ports";
import { buildSmtp, type SmtpService } from "@porthost/smtp";
import { tempDir } from "@porthost/testkit";
import { buildWeb, type WebService } from "@porthost/web";
import { launchChromium } from "./chromium.js";

let browser: Browser;
let web: WebService;
let smtp: SmtpService;
let log: SessionLog;
let removeData: () => Promise<void>;
let base: string;
let smtpPort: number;

beforeAll(async () => {
  const data = await tempDir();
  removeData = data.remove;
  web = await buildWeb({ config: readConfig({ PORTHOST_HTTP_PORT: "0", PORTHOST_DATA_DIR: data.dir }) });
  base = `http://127.0.0.1:${(await web.listen())[0]!.port}`;
  log = await SessionLog.open(sessionsRoot(data.dir), { max: 1000 });
  // The SMTP service's connection events go straight to the web's hub, as they would over HTTP.
  smtp = buildSmtp({
    host: "127.0.0.1",
    port: 0,
    maildir: maildirRoot(data.dir),
    sessions: log,
    events: { send: (event) => void web.hub.publish(event) },
  });
  smtpPort = (await smtp.listen())[0]!.port;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await smtp?.close();
  await log?.close();
  await web?.close();
  await removeData?.();
});

describe("a session's transcript on the switchboard", () => {
  it("an SMTP row and the message it stored link to its transcript, which opens in a dialog with every command and reply", async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(base);
    await page.locator(".stream-status[data-state='live']").waitFor();
    const written = new Promise<SessionRecord>((resolve) => log.once("written", resolve));
    const transport = nodemailer.createTransport({ host: "127.0.0.1", port: smtpPort, secure: false, ignoreTLS: true });
    const info = await transport.sendMail({ from: "a@example.test", to: "b@example.test", subject: "s", text: "hi" });
    transport.close();
    const record = await written;
    const messageId = /queued as (\S+)/.exec(info.response)?.[1] ?? "";

    const link = page.locator(`.flow[data-service='smtp'] a.flow-session[href='/api/sessions/${record.id}']`);
    await link.click();
    const dialog = page.locator("dialog.session-dialog[open]");
    await expect.poll(() => dialog.getAttribute("data-outcome")).toBe("delivered");
    await expect(dialog.locator("#session-title").textContent()).resolves.toBe(`smtp session ${record.id}`);
    const lines = await dialog.locator(".session-lines li").allTextContents();
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/ms\s*C:\s*MAIL FROM:<a@example\.test>$/),
        expect.stringMatching(
          new RegExp(`ms\\s*S:\\s*250 2\\.0\\.0 Ok: queued as ${messageId.replace(/\./g, "\\.")}$`),
        ),
      ]),
    );
    await expect(dialog.locator(".session-facts a").textContent()).resolves.toBe(messageId);
    await page.keyboard.press("Escape");
    await expect.poll(() => page.locator("dialog.session-dialog[open]").count()).toBe(0);

    // The message knows its session too: its envelope links to the same transcript.
    await page.locator("#message-list .message-item", { hasText: "a@example.test" }).first().click();
    await page.locator(`.envelope a.flow-session[href='/api/sessions/${record.id}']`).click();
    await expect.poll(() => dialog.getAttribute("data-outcome")).toBe("delivered");
    await expect(dialog.locator("#session-title").textContent()).resolves.toBe(`smtp session ${record.id}`);
  });
});
