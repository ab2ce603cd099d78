import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Value } from "typebox/value";
import { createEventSender, EventBatchSchema, type ConnectionEvent } from "../src/index.js";

const TOKEN = "test-token-0123456789";

interface Received {
  readonly authorization: string | undefined;
  readonly path: string | undefined;
  readonly events: readonly ConnectionEvent[];
}

type Reply = (request: http.IncomingMessage, response: http.ServerResponse) => void;

/** A small real web service that records each POST and answers as `reply` says. */
async function fakeWeb(reply: Reply = (_q, r) => r.writeHead(202).end()) {
  const received: Received[] = [];
  const sockets = new Set<import("node:net").Socket>();
  let requests = 0;
  const server = http.createServer((request, response) => {
    requests += 1;
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      const batch: unknown = JSON.parse(Buffer.concat(chunks).toString());
      if (!Value.Check(EventBatchSchema, batch)) throw new Error("not a batch of connection events");
      received.push({ authorization: request.headers.authorization, path: request.url, events: batch.events });
      reply(request, response);
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    target: { host: "127.0.0.1", port },
    received,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function event(n: number): ConnectionEvent {
  return {
    time: new Date(1_700_000_000_000 + n).toISOString(),
    service: "echo",
    transport: "udp",
    localPort: 8007,
    remoteAddress: "127.0.0.1",
    remotePort: 40000 + n,
    bytesIn: n,
    bytesOut: n,
    durationMs: 0,
    outcome: "ok",
  };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(reply?: Reply, options: Partial<Parameters<typeof createEventSender>[0]> = {}) {
  const web = await fakeWeb(reply);
  const sender = createEventSender({ target: web.target, token: TOKEN, flushDelayMs: 5, ...options });
  cleanups.push(web.close, () => sender.close());
  return { web, sender };
}

describe("createEventSender", () => {
  it("posts batches to /api/events with the bearer token, in order", async () => {
    const { web, sender } = await setUp(undefined, { maxBatchEvents: 10 });
    for (let n = 0; n < 25; n++) sender.send(event(n));
    await until(() => sender.stats().sent === 25, "25 events sent");
    expect(web.received.every((r) => r.authorization === `Bearer ${TOKEN}` && r.path === "/api/events")).toBe(true);
    expect(web.received.every((r) => r.events.length <= 10)).toBe(true);
    expect(web.received.flatMap((r) => r.events)).toEqual(Array.from({ length: 25 }, (_, n) => event(n)));
    expect(sender.stats()).toMatchObject({ enabled: true, queued: 0, dropped: 0, failedRequests: 0 });
  });

  it("is disabled without a token and sends nothing", async () => {
    const web = await fakeWeb();
    cleanups.push(web.close);
    const sender = createEventSender({ target: web.target, token: undefined, flushDelayMs: 1 });
    sender.send(event(1));
    await new Promise((r) => setTimeout(r, 50));
    await sender.close();
    expect(sender.enabled).toBe(false);
    expect(web.requests()).toBe(0);
    expect(sender.stats()).toEqual({ enabled: false, queued: 0, sent: 0, dropped: 0, failedRequests: 0 });
  });

  it("drops and counts events past the queue while the web service is slow, without blocking", async () => {
    const held: http.ServerResponse[] = [];
    let slow = true;
    const reply: Reply = (_q, r) => (slow ? held.push(r) : r.writeHead(204).end());
    const { sender } = await setUp(reply, { maxQueuedEvents: 50, maxBatchEvents: 10 });
    sender.send(event(0));
    await until(() => held.length === 1, "the first POST to hang");
    for (let n = 1; n <= 1_000; n++) sender.send(event(n));
    expect(sender.stats()).toMatchObject({ queued: 50, dropped: 950, sent: 0 });
    slow = false;
    for (const r of held) r.writeHead(204).end();
    await until(() => sender.stats().sent === 51, "the queue to drain once the web service answers");
    expect(sender.stats().dropped).toBe(950);
  });

  it("drops a failed batch and backs off instead of retrying in a storm", async () => {
    const { web, sender } = await setUp((_q, r) => r.writeHead(503).end(), { backoffMs: 60_000 });
    sender.send(event(1));
    await until(() => sender.stats().failedRequests === 1, "the first POST to fail");
    for (let n = 2; n <= 100; n++) sender.send(event(n));
    await new Promise((r) => setTimeout(r, 200));
    expect(web.requests()).toBe(1);
    expect(sender.stats()).toMatchObject({ sent: 0, dropped: 1, queued: 99, failedRequests: 1 });
  });

  it("counts events as dropped when nothing listens, and recovers when the web service comes back", async () => {
    let status = 503;
    const { web, sender } = await setUp((_q, r) => r.writeHead(status).end(), { backoffMs: 20, maxBackoffMs: 20 });
    sender.send(event(1));
    await until(() => sender.stats().dropped === 1, "the failed POST");
    status = 200;
    sender.send(event(2));
    await until(() => sender.stats().sent === 1, "the next POST after the backoff");
    expect(web.received.at(-1)?.events).toEqual([event(2)]);
  });

  it("gives up on a web service that never answers, and close() still returns", async () => {
    const { sender } = await setUp(() => undefined, { requestTimeoutMs: 100 });
    sender.send(event(1));
    await until(() => sender.stats().failedRequests === 1, "the request timeout");
    expect(sender.stats().dropped).toBe(1);
    sender.send(event(2));
    await sender.close();
    expect(sender.stats().queued).toBe(0);
  });

  it("drops events when the target refuses connections", async () => {
    const web = await fakeWeb();
    await web.close();
    const sender = createEventSender({ target: web.target, token: TOKEN, flushDelayMs: 1 });
    cleanups.push(() => sender.close());
    sender.send(event(1));
    await until(() => sender.stats().dropped === 1, "the refused connection");
    expect(sender.stats().failedRequests).toBe(1);
  });

  it("flushes what is queued on close", async () => {
    const { web, sender } = await setUp(undefined, { flushDelayMs: 60_000 });
    for (let n = 0; n < 5; n++) sender.send(event(n));
    await sender.close();
    expect(web.received.flatMap((r) => r.events)).toHaveLength(5);
    sender.send(event(6));
    expect(sender.stats()).toMatchObject({ sent: 5, dropped: 1 });
  });
});
