import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionRecord } from "@porthost/mailstore";
import { startMailHost, type MailHost } from "./mail-host.js";

let host: MailHost;

beforeAll(async () => {
  host = await startMailHost({ sessions: true, events: true, chromium: true });
});

afterAll(() => host?.close());

describe("a session's transcript on the switchboard", () => {
  it("an SMTP row and the message it stored link to its transcript, which opens in a dialog with every command and reply", async () => {
    const page = await (await host.browser!.newContext()).newPage();
    await page.goto(host.base);
    await page.locator(".stream-status[data-state='live']").waitFor();
    const written = new Promise<SessionRecord>((resolve) => host.sessions!.once("written", resolve));
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: host.smtpPort,
      secure: false,
      ignoreTLS: true,
    });
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
