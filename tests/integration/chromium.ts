import { chromium, type Browser } from "playwright-core";
import { requireTool } from "@porthost/testkit";

/** Debian's chromium, headless, with nothing of its own phoning home (no sync, updates or prefetch). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: requireTool("chromium"),
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
