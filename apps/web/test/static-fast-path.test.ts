import http, { type IncomingHttpHeaders } from "node:http";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { brotliDecompressSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publicSite } from "./public-site.js";
import { testConfig } from "./test-config.js";
import { buildWeb, type WebService } from "../src/index.js";

const page = `<!doctype html><title>fast</title>${"<p>the port picks the service</p>\n".repeat(40)}`;
let web: WebService;
let port: number;
let root: string;
let remove: () => Promise<void>;
/** Requests that reached the framework's routes; the fast path answers without them. */
let routed = 0;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function get(url: string, headers: Record<string, string> = {}, method = "GET"): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port, path: url, method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
    });
    request.on("error", reject);
    request.end();
  });
}

/** The headers that must agree between the two paths (Date and the connection's own differ). */
function comparable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const { date: _date, connection: _connection, "keep-alive": _keepAlive, ...rest } = headers;
  return rest;
}

beforeAll(async () => {
  ({ root, remove } = await publicSite({ "index.html": page }));
  web = await buildWeb({ config: testConfig(), publicDir: root, port: 0 });
  web.app.addHook("onRequest", (_request, _reply, done) => {
    routed += 1;
    done();
  });
  port = (await web.listen())[0]!.port;
});
afterAll(async () => {
  await web.close();
  await remove();
});

describe("the static fast path, over a real socket", () => {
  it("answers a known file without routing, with the same status, headers and bytes as the route", async () => {
    const first = await get("/index.html");
    expect(routed).toBe(1);
    const second = await get("/index.html");
    expect(routed).toBe(1);
    expect(second.status).toBe(200);
    expect(second.body.toString()).toBe(page);
    expect(comparable(second.headers)).toEqual(comparable(first.headers));
    expect(second.headers["content-length"]).toBe(String(Buffer.byteLength(page)));
    expect(second.headers["content-type"]).toBe("text/html; charset=utf-8");
  });

  it("negotiates brotli, answers 304 to a matching ETag, and sends no body to HEAD", async () => {
    await get("/index.html");
    const before = routed;
    const br = await get("/index.html", { "accept-encoding": "br" });
    expect(br.headers["content-encoding"]).toBe("br");
    expect(brotliDecompressSync(br.body).toString()).toBe(page);
    const again = await get("/index.html", { "accept-encoding": "br", "if-none-match": br.headers.etag as string });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers["content-encoding"]).toBeUndefined();
    const head = await get("/index.html", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers["content-length"]).toBe(String(Buffer.byteLength(page)));
    expect(routed).toBe(before);
  });

  it("leaves ranges, other methods and unknown paths to the routes", async () => {
    await get("/index.html");
    const before = routed;
    expect((await get("/index.html", { range: "bytes=0-9" })).status).toBe(206);
    expect((await get("/index.html", {}, "POST")).status).toBe(405);
    expect((await get("/missing.html")).status).toBe(404);
    expect(routed).toBe(before + 3);
  });

  it("reports each request it answers as an event, with the client's port and the bytes sent", async () => {
    await get("/index.html?warm");
    const since = web.hub.stats().lastId;
    const answer = await get("/index.html?fast");
    const event = web.hub.since(since).find((e) => e.detail === "GET /index.html?fast 200");
    expect(event).toMatchObject({ service: "http", localPort: port, bytesOut: answer.body.length, outcome: "ok" });
  });

  it("serves the new bytes once the file changes", async () => {
    await writeFile(path.join(root, "changing.txt"), "first");
    expect((await get("/changing.txt")).body.toString()).toBe("first");
    expect((await get("/changing.txt")).body.toString()).toBe("first");
    await writeFile(path.join(root, "changing.txt"), "second version");
    await expect
      .poll(async () => (await get("/changing.txt")).body.toString(), { timeout: 3_000 })
      .toBe("second version");
  });
});

describe("closing the web service", () => {
  it("frees its port, so a new one can listen there at once (a restart)", async () => {
    const config = testConfig();
    const first = await buildWeb({ config, publicDir: root, port: 0 });
    const [endpoint] = await first.listen();
    const stream = await fetch(`http://127.0.0.1:${endpoint!.port}/api/events/stream`);
    expect(stream.status).toBe(200);
    await first.close();
    const second = await buildWeb({ config, publicDir: root, port: endpoint!.port });
    try {
      expect((await second.listen())[0]!.port).toBe(endpoint!.port);
      expect((await fetch(`http://127.0.0.1:${endpoint!.port}/index.html`)).status).toBe(200);
    } finally {
      await second.close();
    }
  });
});
