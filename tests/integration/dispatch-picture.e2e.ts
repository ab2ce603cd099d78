import dgram from "node:dgram";
import net from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Locator, Page } from "playwright-core";
import type { ConnectionEvent } from "@porthost/events";
import { freePort } from "@porthost/testkit";
import { launchChromium } from "./chromium.js";
import { startSwitchboardHost, type SwitchboardHost } from "./switchboard-host.js";

/** The rows of /api/ports the picture reads; `sequence` is a knock row's ports, in order. */
interface PortRow {
  name: string;
  port: number;
  wellKnownPort: number;
  transports: string[];
  sequence?: { port: number; transport: string }[];
}

let host: SwitchboardHost;
let browser: Browser;
let page: Page;
let errors: string[];

async function openPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
  errors = [];
  const context = await browser.newContext({ viewport });
  const opened = await context.newPage();
  opened.on("console", (message) => {
    if (message.type() === "error") errors.push(`${message.location().url}: ${message.text()}`);
  });
  opened.on("pageerror", (error) => errors.push(`uncaught: ${error.message}`));
  await opened.goto(host.url);
  await opened.locator(".stream-status[data-state=live]").waitFor();
  return opened;
}

const picture = (p: Page) => p.locator("#dispatch-live");
const door = (p: Page, port: number, transport: string) =>
  picture(p).locator(`.door[data-door="${port}/${transport}"]`);
/** The shape of a connection or datagram from one client port. */
const flight = (p: Page, clientPort: number) => picture(p).locator(`.flight[data-client$=":${clientPort}"]`);

/** Posts events to the web service as the services do: with the events token, at most 100 a request. */
async function postEvents(events: ConnectionEvent[]): Promise<void> {
  const response = await fetch(`${host.url}/api/events`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${host.config.events.token}` },
    body: JSON.stringify({ events }),
  });
  expect(response.status).toBe(202);
}

function event(fields: Partial<ConnectionEvent>): ConnectionEvent {
  return {
    time: new Date().toISOString(),
    service: "discard",
    transport: "udp",
    localPort: host.ports.discard,
    remoteAddress: "127.0.0.1",
    remotePort: 40_000,
    bytesIn: 12,
    bytesOut: 0,
    durationMs: 0,
    outcome: "ok",
    ...fields,
  };
}

/** The little of the SVG DOM the checks below read (this file is compiled without the DOM's types). */
interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface SvgNode {
  getAttribute(name: string): string | null;
  getBBox(): Box;
  getTotalLength(): number;
  getPointAtLength(at: number): { x: number; y: number };
  querySelector(selector: string): SvgNode | null;
  ownerSVGElement: SvgNode;
}

/** Whether the shape's route passes through its door's opening and ends at its service's box. */
function routeGeometry(shape: Locator) {
  return shape.evaluate((element) => {
    const node = element as unknown as SvgNode;
    const svg = node.ownerSVGElement;
    const gap = svg.querySelector(`.door[data-door="${node.getAttribute("data-door")}"] .door-gap`)!.getBBox();
    const box = svg.querySelector(`[data-service-box="${node.getAttribute("data-service")}"] rect`)!.getBBox();
    const path = node.querySelector(".flight-route")!;
    const length = path.getTotalLength();
    let throughDoor = false;
    for (let i = 0; i <= 400; i++) {
      const point = path.getPointAtLength((length * i) / 400);
      const inX = point.x >= gap.x - 0.5 && point.x <= gap.x + gap.width + 0.5;
      const inY = point.y >= gap.y - 0.5 && point.y <= gap.y + gap.height + 0.5;
      if (inX && inY) throughDoor = true;
    }
    const end = path.getPointAtLength(length);
    const endsAtService = Math.abs(end.x - box.x) < 1 && end.y >= box.y && end.y <= box.y + box.height;
    return { throughDoor, endsAtService };
  });
}

/** How far a UDP dot is from its service's box, along the lane. */
function dotToService(dot: Locator) {
  return dot.evaluate((element) => {
    const node = element as unknown as SvgNode;
    const box = node.ownerSVGElement.querySelector('[data-service-box="discard"] rect')!.getBBox();
    return Math.round(Number(node.getAttribute("cx")) - box.x);
  });
}

beforeAll(async () => {
  [browser, host] = await Promise.all([launchChromium(), startSwitchboardHost()]);
});
afterAll(async () => {
  await Promise.all([browser?.close(), host?.close()]);
});
afterEach(async () => {
  await page?.context().close();
  expect(errors, "console errors").toEqual([]);
});

describe("the live picture of dispatch, in Chromium", () => {
  it("draws one door per port and transport from /api/ports, each labelled with its local and well-known number", async () => {
    page = await openPage();
    const table = (await (await fetch(`${host.url}/api/ports`)).json()) as { services: PortRow[] };
    const expected = table.services.flatMap((row) =>
      row.sequence && row.sequence.length > 0
        ? [...new Set(row.sequence.map((step) => `${step.port}/${step.transport}`))].map((key) => {
            // The steps show their well-known numbers as the row's first step does: less the same offset.
            const port = Number(key.split("/")[0]);
            const offset = row.sequence![0]!.port === row.port ? row.port - row.wellKnownPort : 0;
            return { key, label: offset === 0 || port <= offset ? String(port) : `${port} (${port - offset})` };
          })
        : row.transports.map((t) => ({
            key: `${row.port}/${t}`,
            label: row.port === row.wellKnownPort ? String(row.port) : `${row.port} (${row.wellKnownPort})`,
          })),
    );
    expect(expected.length).toBeGreaterThanOrEqual(7);
    await expect.poll(() => picture(page).locator(".door").count()).toBe(expected.length);
    for (const { key, label } of expected) {
      const node = picture(page).locator(`.door[data-door="${key}"]`);
      expect(await node.locator(".door-label").textContent()).toMatch(
        new RegExp(`^${label.replace(/[()]/g, "\\$&")} `),
      );
      expect(await node.getAttribute("role")).toBe("button");
    }
    const echo = table.services.find((s) => s.name === "echo")!;
    expect(await door(page, echo.port, "udp").getAttribute("aria-label")).toContain(`port ${echo.port}`);

    // One tab stop for the whole picture; the arrow keys walk the doors and Enter explains one.
    const doors = picture(page).locator(".door");
    expect(await doors.evaluateAll((nodes) => nodes.filter((n) => n.getAttribute("tabindex") === "0").length)).toBe(1);
    await doors.first().focus();
    await page.keyboard.press("ArrowDown");
    const second = await doors.nth(1).getAttribute("data-door");
    expect(await page.evaluate("document.activeElement.getAttribute('data-door')")).toBe(second);
    await page.keyboard.press("Enter");
    await picture(page).locator(`.dispatch-detail[data-door="${second}"]`).waitFor();
    expect(await doors.nth(1).getAttribute("aria-pressed")).toBe("true");
  });

  it("draws a TCP connection from a fixed client port through its door to its service, and explains it on hover and click", async () => {
    page = await openPage();
    const clientPort = await freePort();
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: "127.0.0.1", port: host.ports.echo, localPort: clientPort }, () =>
        socket.end("through the door\n"),
      );
      socket.on("error", reject);
      socket.resume();
      socket.on("close", () => resolve());
    });
    const shape = flight(page, clientPort);
    await shape.waitFor();
    expect(await shape.getAttribute("data-client")).toBe(`127.0.0.1:${clientPort}`);
    expect(await shape.getAttribute("data-door")).toBe(`${host.ports.echo}/tcp`);
    expect(await shape.locator(".client-label").textContent()).toBe(`127.0.0.1:${clientPort}`);
    expect(await routeGeometry(shape)).toEqual({ throughDoor: true, endsAtService: true });
    // The door counts it (with the page's own status probes of the port, if one came by).
    expect(await door(page, host.ports.echo, "tcp").getAttribute("data-count")).toMatch(/^[1-9]\d*$/);
    // Hovering shows the event; a click keeps it shown.
    await shape.locator(".client-label").hover();
    const detail = picture(page).locator(".dispatch-detail[data-show=event]");
    await detail.waitFor();
    await shape.locator(".client-label").click();
    await page.mouse.move(0, 0);
    await detail.waitFor();
    expect(await detail.locator("h3").textContent()).toBe(`127.0.0.1:${clientPort} → ${host.ports.echo}/tcp → echo`);
    // Selecting its door makes the door's connections stand out.
    await door(page, host.ports.echo, "tcp").click();
    await picture(page).locator(`.dispatch-detail[data-door="${host.ports.echo}/tcp"]`).waitFor();
    expect(await shape.getAttribute("data-chosen")).toBe("true");
  });

  it("draws a port check (connected, sent nothing) in grey, not as a failure", async () => {
    page = await openPage();
    const clientPort = await freePort();
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: "127.0.0.1", port: host.ports.discard, localPort: clientPort }, () =>
        socket.end(),
      );
      socket.on("error", reject);
      socket.on("close", () => resolve());
    });
    const shape = flight(page, clientPort);
    await shape.waitFor();
    expect(await shape.getAttribute("data-probe")).toBe("true");
    expect(await shape.locator(".flight-end").getAttribute("data-outcome")).toBe("probe");
    expect(await shape.locator("title").textContent()).toContain("port check");
  });

  it("draws a UDP datagram as a dot", async () => {
    page = await openPage();
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    const clientPort = socket.address().port;
    await new Promise<void>((resolve, reject) =>
      socket.send("one datagram", host.ports.discard, "127.0.0.1", (error) => (error ? reject(error) : resolve())),
    );
    socket.close();
    const shape = flight(page, clientPort);
    await shape.waitFor();
    expect(await shape.getAttribute("data-door")).toBe(`${host.ports.discard}/udp`);
    const dot = shape.locator(".flight-dot");
    expect(await dot.getAttribute("visibility")).toBeNull();
    // The dot travels to the service and rests there.
    await expect.poll(() => dotToService(dot)).toBe(0);
  });

  it("marks TLS with a lock and shows a knock's progress", async () => {
    page = await openPage();
    await postEvents([
      event({
        service: "https",
        transport: "tcp",
        localPort: 4443,
        remotePort: 41_443,
        tls: { version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", mode: "implicit" },
      } as Partial<ConnectionEvent>),
      event({ service: "knock", localPort: 7001, remotePort: 41_001, detail: "knock 1 of 3" }),
      event({ service: "knock", localPort: 7002, remotePort: 41_002, detail: "knock 2 of 3" }),
    ]);
    const tls = flight(page, 41_443);
    await tls.waitFor();
    expect(await tls.getAttribute("data-tls")).toBe("implicit");
    expect(await tls.locator(".flight-lock").getAttribute("visibility")).toBeNull();
    expect(await tls.locator("title").textContent()).toContain("TLSv1.3");
    await flight(page, 41_002).waitFor();
    expect(await flight(page, 41_002).locator(".flight-end-text").textContent()).toBe("2/3");
    await picture(page).locator("[data-knock]", { hasText: "127.0.0.1: ●●○ 2 of 3" }).waitFor();
    await postEvents([
      event({ service: "knock", localPort: 7001, remotePort: 41_003, detail: "knock 3 of 3: vault open for 30 s" }),
    ]);
    await picture(page).locator("[data-knock]", { hasText: "127.0.0.1: ●●● 3 of 3: vault open" }).waitFor();
  });

  it("stays responsive at 1,000 events a second: it draws a sample and says so, and its counters stay exact", async () => {
    page = await openPage();
    const discard = door(page, host.ports.discard, "udp");
    await discard.waitFor();
    const before = Number(await discard.getAttribute("data-count"));
    const nodes = () => page.evaluate<number>("document.querySelectorAll('#dispatch-live *').length");
    const nodesBefore = await nodes();
    // 5,000 datagram events in 50 batches of 100, one batch every 100 ms: about 1,000 a second for 5 s.
    const BATCHES = 50;
    const flood = (async () => {
      for (let b = 0; b < BATCHES; b++) {
        const started = Date.now();
        await postEvents(
          Array.from({ length: 100 }, (_, i) =>
            event({ remoteAddress: `127.0.0.${1 + (i % 4)}`, remotePort: 20_000 + b * 100 + i }),
          ),
        );
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, 100 - (Date.now() - started))));
      }
    })();
    await picture(page)
      .locator(".dispatch-sampling", { hasText: /^drawing 1 in \d+$/ })
      .waitFor();
    // A click still answers in the middle of the flood.
    await door(page, host.ports.smtp, "tcp").click();
    await picture(page).locator(`.dispatch-detail[data-door="${host.ports.smtp}/tcp"]`).waitFor();
    const nodesDuring = await nodes();
    await flood;
    await expect
      .poll(() => discard.getAttribute("data-count"), { timeout: 30_000 })
      .toBe(String(before + BATCHES * 100));
    // The shapes are a fixed pool: thousands of events add no nodes beyond it.
    const nodesAfter = await nodes();
    expect(nodesAfter).toBeLessThan(nodesBefore + 600);
    expect(Math.abs(nodesAfter - nodesDuring)).toBeLessThan(200);
    // Once the rate is low again, everything is drawn and the notice goes.
    await picture(page).locator(".dispatch-sampling").waitFor({ state: "hidden", timeout: 15_000 });
  });

  it("fits a 360 px wide screen", async () => {
    page = await openPage({ width: 360, height: 740 });
    await door(page, host.ports.echo, "udp").waitFor();
    expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(360);
    const box = await picture(page).locator("svg").boundingBox();
    expect(box!.width).toBeLessThanOrEqual(360);
  });
});
