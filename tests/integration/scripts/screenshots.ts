// Remakes docs/switchboard-desktop.png and -inbox.png (1280x800) and -mobile.png (360 px wide):
// every service in-process on free ports, some real traffic, then Debian's chromium.
// Usage: npm run screenshots --workspace @porthost/integration-tests [-- --offset 48000] (after npm run build).
// The default offset, 8000, gives the pictures the numbers npm start prints; stop porthost first.
import dgram from "node:dgram";
import { mkdir } from "node:fs/promises";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { launchChromium } from "../chromium.js";
import { startSwitchboardHost } from "../switchboard-host.js";

const DOCS = fileURLToPath(new URL("../../../docs/", import.meta.url));

const { values } = parseArgs({ options: { offset: { type: "string", default: "8000" } } });
const host = await startSwitchboardHost({ portOffset: Number(values.offset) });
const browser = await launchChromium();
try {
  const post = (path: string, body: unknown) =>
    fetch(`${host.url}${path}`, {
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
    const socket = net.connect(host.ports.discard, "127.0.0.1", () => socket.end("into the void\n"));
    socket.on("close", () => resolve());
  });
  await new Promise<void>((resolve) => {
    const socket = dgram.createSocket("udp4");
    socket.send("one datagram", host.ports.discard, "127.0.0.1", () => socket.close(() => resolve()));
  });

  await mkdir(DOCS, { recursive: true });
  for (const [name, viewport] of [
    ["desktop", { width: 1280, height: 800 }],
    ["mobile", { width: 360, height: 800 }],
  ] as const) {
    const page = await browser.newPage({ viewport, colorScheme: "light" });
    await page.goto(host.url);
    await page.getByText("Live: connections appear").waitFor();
    await page.locator("#message-list .message-item").first().waitFor();
    await page.locator('button.socket[data-service="smtp"]').click();
    await page.locator("#socket-detail .facts").waitFor();
    // A phone shows one panel at a time: the live traffic is the one to see there.
    if (name === "mobile") await page.locator("#traffic").evaluate((section) => section.scrollIntoView());
    await page.screenshot({ path: `${DOCS}switchboard-${name}.png` });
    console.log(`wrote docs/switchboard-${name}.png`);
    if (name === "desktop") {
      await page.locator("#message-list .message-item", { hasText: "Ports, week 1" }).click();
      await page.frameLocator("iframe.mail-html").locator("h1").waitFor();
      await page.locator("#inbox").evaluate((section) => section.scrollIntoView());
      await page.screenshot({ path: `${DOCS}switchboard-inbox.png` });
      console.log("wrote docs/switchboard-inbox.png");
    }
    await page.close();
  }
} finally {
  await browser.close();
  await host.close();
}
