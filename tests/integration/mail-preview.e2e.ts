import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMailHost, type MailHost } from "./mail-host.js";

/** What the test reads of an <img> in the page (this package has no DOM types). */
interface LoadedImage {
  readonly complete: boolean;
  readonly naturalWidth: number;
}

/** A 2x2 PNG. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==",
  "base64",
);

let host: MailHost;

beforeAll(async () => {
  host = await startMailHost({ chromium: true });
});

afterAll(() => host?.close());

describe("the message view in Chromium", () => {
  it("shows a cid: image from the message's own parts in the sandboxed preview, still no remote image, and the codes and links", async () => {
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: host.smtpPort,
      secure: false,
      ignoreTLS: true,
    });
    await transport.sendMail({
      from: "shop@example.test",
      to: "you@example.test",
      subject: "inline logo",
      text: "Your verification code is 583920. Sign in at https://shop.example.test/login",
      html: [
        '<p>logo: <img id="logo" src="cid:logo1" width="20" height="20"></p>',
        '<p>remote: <img id="remote" src="http://127.0.0.2:9/pixel.png"></p>',
        '<p>Your verification code is 583920. <a href="https://shop.example.test/login">Sign in</a></p>',
      ].join(""),
      attachments: [{ filename: "logo.png", content: PNG, cid: "logo1", contentType: "image/png" }],
    });
    const context = await host.browser!.newContext();
    const page = await context.newPage();
    const blocked: string[] = [];
    page.on("requestfailed", (request) => blocked.push(request.url()));
    await page.goto(host.base);
    await page.locator("#message-list .message-item", { hasText: "inline logo" }).click();
    const frame = page.frameLocator("iframe.mail-html");
    // Attached, not visible: an image has no size until it has loaded.
    await frame.locator("#logo").waitFor({ state: "attached" });
    // The image has loaded (or failed) once complete is true; then its natural width says which.
    await expect
      .poll(() => frame.locator("#logo").evaluate((img) => (img as unknown as LoadedImage).complete), {
        timeout: 30_000,
      })
      .toBe(true);
    expect(blocked.filter((url) => !url.startsWith("http://127.0.0.2:9/"))).toEqual([]);
    expect(await frame.locator("#logo").evaluate((img) => (img as unknown as LoadedImage).naturalWidth)).toBe(2);
    await expect
      .poll(() => frame.locator("#remote").evaluate((img) => (img as unknown as LoadedImage).complete))
      .toBe(true);
    expect(await frame.locator("#remote").evaluate((img) => (img as unknown as LoadedImage).naturalWidth)).toBe(0);
    expect(blocked).toContain("http://127.0.0.2:9/pixel.png");

    expect(await page.locator(".message-codes .message-code").allTextContents()).toEqual(["583920"]);
    expect(await page.locator(".message-links a").getAttribute("href")).toBe("https://shop.example.test/login");
    expect(await page.locator(".message-links a").getAttribute("rel")).toBe("noopener noreferrer nofollow");
    const download = page.locator("a", { hasText: "Download .eml" });
    expect(await download.getAttribute("href")).toMatch(/\/raw\?download=1$/);
    await context.close();
  });
});
