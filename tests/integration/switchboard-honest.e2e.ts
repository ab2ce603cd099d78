import net from "node:net";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { startPorthost, tempDir, type RunningPorthost } from "@porthost/testkit";
import { launchChromium } from "./chromium.js";
import { startSwitchboardHost, type SwitchboardHost } from "./switchboard-host.js";

/** Starting every app of porthost start on a 2-core machine busy with other suites. */
const START_TIMEOUT_MS = 60_000; // 1 min
/** The real command, as npm start runs it (after its build). */
const BIN = fileURLToPath(new URL("../../apps/cli/bin/porthost.js", import.meta.url));

let browser: Browser;
let page: Page | undefined;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await page?.context().close();
  page = undefined;
});

async function openPage(url: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  const opened = await context.newPage();
  await opened.goto(url);
  await opened.locator(".stream-status[data-state=live]").waitFor();
  return opened;
}

/** A POP3 session over a raw socket: each command sent once the reply before it has arrived. */
async function pop3(port: number, commands: readonly string[]): Promise<string> {
  const socket = net.connect(port, "127.0.0.1");
  socket.setEncoding("latin1");
  let transcript = "";
  let waiting: (() => void) | undefined;
  socket.on("data", (chunk: string) => {
    transcript += chunk;
    if (transcript.endsWith("\r\n")) waiting?.();
  });
  const reply = () => new Promise<void>((resolve) => (waiting = resolve));
  await reply();
  for (const command of commands) {
    const answered = reply();
    socket.write(`${command}\r\n`);
    await answered;
  }
  socket.end();
  await once(socket, "close");
  return transcript;
}

describe("the page's own port probes, through the real porthost start", () => {
  let porthost: RunningPorthost | undefined;
  let data: { dir: string; remove: () => Promise<void> } | undefined;
  afterAll(async () => {
    await porthost?.stop();
    await data?.remove();
  });

  it(
    "make greyed port-check rows, no error rows, and no error lines in the terminal",
    async () => {
      data = await tempDir("porthost-probes-");
      porthost = await startPorthost(
        BIN,
        {
          PORTHOST_PORT_OFFSET: String(30_000 + Math.floor(Math.random() * 200) * 20),
          PORTHOST_DATA_DIR: data.dir,
          PORTHOST_RESTART: "never",
        },
        START_TIMEOUT_MS,
      );
      let terminal = "";
      porthost.process.stdout!.on("data", (chunk: Buffer) => (terminal += chunk.toString()));
      porthost.process.stderr!.on("data", (chunk: Buffer) => (terminal += chunk.toString()));

      // Loading the page reads /api/ports, which probes every service: one probe cycle.
      page = await openPage(`http://127.0.0.1:${porthost.port("http")}`);
      for (const service of ["smtp", "pop3", "echo", "discard", "https"]) {
        const port = porthost.port(service);
        const probe = page.locator(`#flows li.flow[data-probe]`, { hasText: `${port}/tcp` });
        await probe.first().waitFor();
        expect(await probe.first().locator(".flow-outcome").textContent()).toBe("port check");
      }
      // Another cycle, as the page's 30 s poll makes: new probes, still no error rows.
      const probes = () => page!.locator("#flows li.flow[data-probe]").count();
      const firstCycle = await probes();
      // A bound for failure, not a wait: each check's event crosses two processes and the stream.
      await expect
        .poll(
          async () => {
            await page!.evaluate("fetch('/api/ports')");
            return probes();
          },
          { timeout: 60_000, interval: 500 },
        )
        .toBeGreaterThan(firstCycle);
      expect(await page.locator('#flows li.flow[data-outcome="error"]').count()).toBe(0);
      // Port checks can be hidden.
      await page.locator("#traffic-probes").uncheck();
      await expect.poll(probes).toBe(0);

      const lines = terminal.split("\n");
      expect(lines.filter((line) => /\b(ERROR|WARN|FATAL)\b|outcome=error|TLS handshake failed/.test(line))).toEqual(
        [],
      );
      expect(lines.filter((line) => / connection closed .*bytesIn=0\b/.test(line))).toEqual([]);
    },
    3 * START_TIMEOUT_MS,
  );
});

describe("the switchboard page in Chromium, honestly", () => {
  let host: SwitchboardHost;
  beforeAll(async () => {
    host = await startSwitchboardHost();
  });
  afterAll(() => host?.close());

  const send = (subject: string) =>
    fetch(`${host.url}/api/send`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ to: "learner@example.test", subject, text: "one line" }),
    }).then((r) => r.json() as Promise<{ id?: string }>);

  it("updates the open inbox when POP3 deletes a message (DELE + QUIT), without a reload", async () => {
    await fetch(`${host.url}/api/messages`, { method: "DELETE" });
    await send("to be deleted over POP3");
    await send("to be kept");
    page = await openPage(host.url);
    await page.locator(".inbox-count", { hasText: "2 messages." }).waitFor();
    await page.evaluate("window.sameDocument = true");
    const transcript = await pop3(host.ports.pop3, ["USER learner", "PASS x", "DELE 1", "QUIT"]);
    expect(transcript).toMatch(/\+OK.*\r\n$/);
    await page.locator(".inbox-count", { hasText: "1 message." }).waitFor();
    expect(await page.evaluate("window.sameDocument")).toBe(true);
  });

  it("says Paused while paused, and Live again after Resume", async () => {
    page = await openPage(host.url);
    const banner = page.locator("#traffic-live .stream-status");
    expect(await banner.textContent()).toMatch(/^Live/);
    await page.getByRole("button", { name: "Pause" }).click();
    await expect.poll(() => banner.textContent()).toMatch(/^Paused: new connections are held/);
    expect(await banner.getAttribute("data-state")).toBe("paused");
    // The page's own first requests may still be arriving: count from here, whatever is held so far.
    const held = async (): Promise<number> => Number(/\((\d+) so far\)/.exec((await banner.textContent()) ?? "")?.[1]);
    const before = await held();
    await page.evaluate("fetch('/api/whoami')");
    await expect.poll(held).toBeGreaterThan(before);
    // Many more than a screenful while paused: all are counted, the newest screenful is held.
    const many = 700;
    for (let i = 0; i < many; i++) await (await fetch(`${host.url}/api/whoami?n=${i}`)).arrayBuffer();
    await expect.poll(held, { timeout: 60_000 }).toBeGreaterThanOrEqual(before + 1 + many);
    await page.getByRole("button", { name: /^Resume/ }).click();
    await expect.poll(() => banner.textContent()).toMatch(/^Live/);
    // Held, not lost: the newest request made while paused is in the list once resumed, on a
    // list of one screenful.
    await page.locator("#flows li.flow", { hasText: `GET /api/whoami?n=${many - 1} ` }).waitFor();
    expect(await page.locator("#flows li.flow").count()).toBe(300);
  });

  it("shows a 404 as not found and counts the request's headers in its bytes", async () => {
    page = await openPage(host.url);
    await page.evaluate("fetch('/no-such-page.html')");
    const row = page.locator("#flows li.flow", { hasText: "GET /no-such-page.html 404" });
    await row.waitFor();
    expect(await row.locator(".flow-outcome").textContent()).toBe("not found");
    // A GET has no body, yet its request line and headers crossed the wire.
    expect(await row.locator(".flow-bytes").textContent()).toMatch(/^(\d{3,} B|\d+\.\d KiB) in/);
  });

  it("brings an opened message into view on a 360 px phone", async () => {
    await send("read on a phone");
    page = await openPage(host.url, { width: 360, height: 740 });
    const item = page.locator("#message-list .message-item", { hasText: "read on a phone" });
    await item.waitFor();
    // The item at the very bottom of the screen: the message opens below it, out of sight.
    await page.evaluate("document.querySelector('#message-list .message-item').scrollIntoView({ block: 'end' })");
    await item.click();
    await page.locator("#message-viewer h3", { hasText: "read on a phone" }).waitFor();
    // The message's subject is on screen: scrolled to, not left below the fold.
    const inView =
      "(() => { const r = document.getElementById('message-subject').getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })()";
    await expect.poll(() => page!.evaluate<boolean>(inView)).toBe(true);
    expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(360);
  });
});
