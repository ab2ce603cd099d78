// Remakes docs/switchboard-desktop.png, -inbox.png and -scan.png (1280x800) and -mobile.png (360 px
// wide): the real `porthost start` (every service, as npm start runs them), some real traffic, then
// Debian's chromium; the scan picture is taken while `porthost scan` runs against it.
// Usage: npm run screenshots --workspace @porthost/integration-tests [-- --offset 48000] (after npm run build).
// The default offset, 8000, gives the pictures the numbers npm start prints; stop porthost first.
import { spawn } from "node:child_process";
import dgram from "node:dgram";
import { mkdir } from "node:fs/promises";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Page } from "playwright-core";
import { cleanEnvironment } from "@porthost/ports";
import { startPorthost, tempDir } from "@porthost/testkit";
import { launchChromium } from "../chromium.js";

const DOCS = fileURLToPath(new URL("../../../docs/", import.meta.url));
const BIN = fileURLToPath(new URL("../../../apps/cli/bin/porthost.js", import.meta.url));

const { values } = parseArgs({ options: { offset: { type: "string", default: "8000" } } });
const data = await tempDir("porthost-screenshots-");
const env = { PORTHOST_PORT_OFFSET: values.offset, PORTHOST_DATA_DIR: data.dir, PORTHOST_RESTART: "never" };
/** A machine busy building may take a while to start every app. */
const START_TIMEOUT_MS = 120_000; // 2 min
const porthost = await startPorthost(BIN, env, START_TIMEOUT_MS);
const url = `http://127.0.0.1:${porthost.port("http")}`;
const browser = await launchChromium();

/** porthost's own TCP ports: what the scan knocks on (and nothing else that may run on this machine). */
const tcpPorts = [...new Set(porthost.rows.filter((r) => r.transport === "tcp").map((r) => r.port))];

/** One run of the real `porthost scan` over porthost's own ports; resolves when it is done. */
function scan(): Promise<void> {
  const child = spawn(process.execPath, [BIN, "scan", "127.0.0.1", "--ports", tcpPorts.join(",")], {
    env: cleanEnvironment(env),
    stdio: "ignore",
  });
  return new Promise((resolve) => child.on("close", () => resolve()));
}

async function openPage(viewport: { width: number; height: number }): Promise<Page> {
  const page = await browser.newPage({ viewport, colorScheme: "light" });
  await page.goto(url);
  await page.getByText("Live: connections appear").waitFor();
  await page.locator("#message-list .message-item").first().waitFor();
  return page;
}

try {
  const post = (path: string, body: unknown) =>
    fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }).then((r) => r.json());
  await post("/api/send", {
    to: "learner@example.test",
    from: "teacher@example.test",
    subject: "Ports, week 1",
    text: "Port 25 takes mail; here it is 8025.",
    html: "<h1>Ports, week 1</h1><p>Port <b>25</b> takes mail; here it is <b>8025</b>.</p>",
  });
  await post("/api/send", { to: "dev@example.test", subject: "Password reset", text: "Your code is 123456." });
  await post("/api/echo", { text: "hello over tcp", transport: "tcp" });
  await post("/api/echo", { text: "hello over udp", transport: "udp" });
  await new Promise<void>((resolve) => {
    const socket = net.connect(porthost.port("discard"), "127.0.0.1", () => socket.end("into the void\n"));
    socket.on("close", () => resolve());
  });
  await new Promise<void>((resolve) => {
    const socket = dgram.createSocket("udp4");
    socket.send("one datagram", porthost.port("discard", "udp"), "127.0.0.1", () => socket.close(() => resolve()));
  });
  await mkdir(DOCS, { recursive: true });

  const desktop = await openPage({ width: 1280, height: 800 });
  await desktop.screenshot({ path: `${DOCS}switchboard-desktop.png` });
  console.log("wrote docs/switchboard-desktop.png");
  await desktop.locator("#message-list .message-item", { hasText: "Ports, week 1" }).click();
  await desktop.frameLocator("iframe.mail-html").locator("h1").waitFor();
  await desktop.locator("#inbox").evaluate((section) => section.scrollIntoView());
  await desktop.screenshot({ path: `${DOCS}switchboard-inbox.png` });
  console.log("wrote docs/switchboard-inbox.png");
  await desktop.close();

  // The picture while porthost scan knocks on every door: scans run until the page has drawn a
  // whole one, so the next is under way when the picture is taken.
  const scanning = await openPage({ width: 1280, height: 800 });
  await scanning.locator("#dispatch").evaluate((section) => section.scrollIntoView());
  const checks = scanning.locator("#flows li.flow[data-probe]");
  const before = await checks.count();
  let shown = false;
  const scans = (async () => {
    while (!shown) await scan();
  })();
  await checks.nth(before + tcpPorts.length).waitFor();
  await scanning.screenshot({ path: `${DOCS}switchboard-scan.png` });
  shown = true;
  await scans;
  console.log("wrote docs/switchboard-scan.png");
  await scanning.close();

  // A phone: the live traffic, then the opened message in view.
  const mobile = await openPage({ width: 360, height: 800 });
  await mobile.locator("#traffic-live .stream-status").evaluate((banner) => banner.scrollIntoView());
  await mobile.screenshot({ path: `${DOCS}switchboard-mobile.png` });
  console.log("wrote docs/switchboard-mobile.png");
  await mobile.close();
} finally {
  await browser.close();
  await porthost.stop();
  await data.remove();
}
