import { chromium, type Browser } from "playwright-core";
import { environmentWith } from "@porthost/ports";
import { requireTool } from "@porthost/testkit";

/**
 * Debian's chromium, headless, with nothing of its own phoning home (no sync, updates or prefetch).
 * `home` is the HOME it runs with: Chromium on Linux trusts the CAs in $HOME/.pki/nssdb.
 */
export function launchChromium(options: { home?: string } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: requireTool("chromium"),
    ...(options.home ? { env: environmentWith({ HOME: options.home }) } : {}),
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
    ],
  });
}
