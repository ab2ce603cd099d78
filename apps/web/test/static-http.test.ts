import { mkdir, symlink, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publicSite } from "./public-site.js";
import { exchange, rawHeader, rawRequest, request, splitAnswers } from "./static-client.js";
import { testConfig } from "./test-config.js";
import { buildWeb, type WebService } from "../src/index.js";
import { MAX_WAITING_REQUESTS } from "../src/pipelining-limit.js";

// Every answer here comes over a real socket, through node's HTTP parser and fastify's routes.
const config = testConfig();
const page = `<!doctype html><title>t</title>${"<p>port numbers dispatch traffic</p>\n".repeat(60)}`;
const big = Buffer.alloc(600 * 1024, "a"); // above the in-memory limit: streamed from disk
const mid = Buffer.alloc(32 * 1024, "m"); // in memory
let root: string;
let remove: () => Promise<void>;
let web: WebService;
let port: number;
/** Requests fastify answered, counted by a hook of the test's own. */
let answered = 0;

const get = (urlPath: string, headers: Record<string, string> = {}) => request(port, urlPath, { headers });

beforeAll(async () => {
  ({ root, remove } = await publicSite({
    "index.html": page,
    "tiny.txt": "0123456789",
    "big.txt": big,
    "mid.txt": mid,
    "data.bin": "x",
    "docs/index.html": "<p>docs</p>",
    ".env": "SECRET=1",
  }));
  const outside = path.dirname(root);
  await writeFile(path.join(outside, "secret.txt"), "outside");
  await mkdir(path.join(outside, "public-sibling"));
  await writeFile(path.join(outside, "public-sibling", "x.txt"), "sibling");
  await symlink(path.join(outside, "secret.txt"), path.join(root, "link.txt"));
  web = await buildWeb({ config, publicDir: root, port: 0 });
  web.app.addHook("onResponse", (_request, _reply, done) => {
    answered += 1;
    done();
  });
  port = (await web.listen())[0]!.port;
});
afterAll(async () => {
  await web.close();
  await remove();
});

describe("validators", () => {
  it("sends ETag, Last-Modified and Cache-Control, and 304 for a matching If-None-Match", async () => {
    const first = await get("/index.html");
    expect(first.status).toBe(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers["last-modified"]).toBeDefined();
    expect(first.headers["cache-control"]).toBe("no-cache");
    const again = await get("/index.html", { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    expect(again.headers["content-type"]).toBeUndefined();
  });

  it("304 for If-Modified-Since at or after the file's time, 200 before it", async () => {
    const lastModified = (await get("/tiny.txt")).headers["last-modified"] as string;
    expect((await get("/tiny.txt", { "if-modified-since": lastModified })).status).toBe(304);
    const earlier = new Date(Date.parse(lastModified) - 60_000).toUTCString();
    expect((await get("/tiny.txt", { "if-modified-since": earlier })).status).toBe(200);
  });

  it("a stale ETag gets the full body", async () => {
    const response = await get("/index.html", { "if-none-match": '"stale"' });
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe(page);
  });
});

describe("ranges", () => {
  it.each([
    ["bytes=0-3", "0123", "bytes 0-3/10"],
    ["bytes=7-", "789", "bytes 7-9/10"],
    ["bytes=-2", "89", "bytes 8-9/10"],
    ["bytes=5-100", "56789", "bytes 5-9/10"],
  ])("%s gives 206 %s", async (range, body, contentRange) => {
    const response = await get("/tiny.txt", { range });
    expect(response.status).toBe(206);
    expect(response.body.toString()).toBe(body);
    expect(response.headers["content-range"]).toBe(contentRange);
    expect(response.headers["content-length"]).toBe(String(body.length));
  });

  it("an unsatisfiable range gives 416 with the size", async () => {
    const response = await get("/tiny.txt", { range: "bytes=10-20" });
    expect(response.status).toBe(416);
    expect(response.headers["content-range"]).toBe("bytes */10");
    expect(JSON.parse(response.body.toString())).toMatchObject({ code: "PORTHOST_WEB_RANGE_NOT_SATISFIABLE" });
  });

  it("several ranges or another unit are ignored: 200 with the whole file", async () => {
    for (const range of ["bytes=0-1,4-5", "lines=1-2"]) {
      const response = await get("/tiny.txt", { range });
      expect(response.status).toBe(200);
      expect(response.body.toString()).toBe("0123456789");
    }
  });

  it("If-Range with an old validator ignores the range", async () => {
    expect((await get("/tiny.txt", { range: "bytes=0-3", "if-range": '"old"' })).status).toBe(200);
  });

  it("ranges a large file streamed from disk", async () => {
    const response = await get("/big.txt", { range: "bytes=500000-500009" });
    expect(response.status).toBe(206);
    expect(response.body.toString()).toBe("aaaaaaaaaa");
    const whole = await get("/big.txt");
    expect(whole.body.length).toBe(big.length);
    expect(whole.headers["content-length"]).toBe(String(big.length));
  });

  it("HEAD of a large file and of a range: the GET's headers, no body", async () => {
    const head = await request(port, "/big.txt", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe(String(big.length));
    expect(head.body.length).toBe(0);
    const ranged = await request(port, "/big.txt", { method: "HEAD", headers: { range: "bytes=0-9" } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers["content-range"]).toBe(`bytes 0-9/${big.length}`);
    expect(ranged.headers["content-length"]).toBe("10");
    expect(ranged.body.length).toBe(0);
  });
});

describe("compression", () => {
  it("brotli when accepted, gzip otherwise, identity when neither; Vary on all", async () => {
    const br = await get("/", { "accept-encoding": "gzip, deflate, br" });
    expect(br.headers["content-encoding"]).toBe("br");
    expect(br.headers.vary).toBe("Accept-Encoding");
    expect(brotliDecompressSync(br.body).toString()).toBe(page);

    const gz = await get("/", { "accept-encoding": "gzip" });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gz.body).toString()).toBe(page);
    expect(gz.headers.etag).not.toBe(br.headers.etag);

    const none = await get("/", { "accept-encoding": "br;q=0, gzip;q=0" });
    expect(none.headers["content-encoding"]).toBeUndefined();
    expect(none.headers.vary).toBe("Accept-Encoding");
    expect(none.body.toString()).toBe(page);
  });

  it("a 304 for a compressed variant's ETag", async () => {
    const gz = await get("/", { "accept-encoding": "gzip" });
    const again = await get("/", { "accept-encoding": "gzip", "if-none-match": gz.headers.etag as string });
    expect(again.status).toBe(304);
    expect(again.headers["content-encoding"]).toBeUndefined();
  });
});

describe("paths", () => {
  it("serves a directory's index.html and redirects the slashless path to it", async () => {
    expect((await get("/docs/")).body.toString()).toBe("<p>docs</p>");
    const redirect = await get("/docs");
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe("/docs/");
  });

  it.each(["//docs", "///docs", "/%2Fdocs", "//docs?next=1"])(
    "redirects %s to /docs/, never to a path a browser reads as another host",
    async (urlPath) => {
      const redirect = await get(urlPath);
      expect(redirect.status).toBe(301);
      expect(redirect.headers.location).toBe("/docs/");
      expect(new URL(redirect.headers.location!, "http://127.0.0.1:8080/x").host).toBe("127.0.0.1:8080");
    },
  );

  it("serves unknown extensions as application/octet-stream", async () => {
    expect((await get("/data.bin")).headers["content-type"]).toBe("application/octet-stream");
  });

  it.each([
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/..%2fsecret.txt",
    "/..%5csecret.txt",
    "/..\\secret.txt",
    "/index.html%00.txt",
    "/%252e%252e/secret.txt",
    "//secret.txt",
    "/../public-sibling/x.txt",
    "/link.txt",
    "/.env",
    "/%2eenv",
    "/docs/../.env",
  ])("refuses %s with 404", async (urlPath) => {
    const response = await get(urlPath);
    expect(response.status).toBe(404);
    expect(response.body.toString()).not.toMatch(/outside|sibling|SECRET/);
  });
});

describe("methods and changes", () => {
  it("405 with Allow for methods other than GET and HEAD", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const response = await request(port, "/index.html", { method });
      expect(response.status).toBe(405);
      expect(response.headers.allow).toBe("GET, HEAD");
    }
  });

  it("serves the new content after the file changes", async () => {
    await writeFile(path.join(root, "changing.txt"), "first");
    expect((await get("/changing.txt")).body.toString()).toBe("first");
    expect((await get("/changing.txt")).body.toString()).toBe("first");
    await writeFile(path.join(root, "changing.txt"), "second version");
    await expect
      .poll(async () => (await get("/changing.txt")).body.toString(), { timeout: 5_000 })
      .toBe("second version");
  });
});

describe("one path for every request", () => {
  it("records each request once, as an event with the client's port and every byte that crossed the wire", async () => {
    for (const [query, extra] of [
      ["?first", ""],
      ["?cached", ""],
      ["?ranged", "Range: bytes=0-9\r\n"],
    ] as const) {
      const since = web.hub.stats().lastId;
      const sent = rawRequest(`/index.html${query}`, extra);
      const { answers } = await exchange(port, sent, ["GET"]);
      const answer = answers[0]!;
      const detail = `GET /index.html${query} ${answer.status}`;
      await expect.poll(() => web.hub.since(since).filter((e) => e.detail === detail).length).toBe(1);
      const [event] = web.hub.since(since).filter((e) => e.detail === detail);
      // Request line, headers and body both ways, as the socket counted them.
      expect(event).toMatchObject({
        service: "http",
        localPort: port,
        bytesIn: Buffer.byteLength(sent, "latin1"),
        bytesOut: Buffer.byteLength(answer.head, "latin1") + 4 + answer.body.length,
        outcome: "ok",
      });
      expect(event!.remotePort).toBeGreaterThan(0);
    }
  });

  it("answers pipelined GET, HEAD, brotli and 304 on one connection, in order", async () => {
    const etag = (await get("/index.html")).headers.etag as string;
    const { answers } = await exchange(
      port,
      rawRequest("/index.html") +
        rawRequest("/index.html", "", "HEAD") +
        rawRequest("/index.html", "Accept-Encoding: gzip, deflate, br\r\n") +
        rawRequest("/index.html", `If-None-Match: ${etag}\r\n`),
      ["GET", "HEAD", "GET", "GET"],
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 304]);
    expect(answers[0]!.body.toString()).toBe(page);
    expect(answers[1]!.body.length).toBe(0);
    expect(rawHeader(answers[1]!.head, "content-length")).toBe(String(Buffer.byteLength(page)));
    expect(rawHeader(answers[2]!.head, "content-encoding")).toBe("br");
    expect(brotliDecompressSync(answers[2]!.body).toString()).toBe(page);
  });

  it("answers a request with a body among GETs, then the GETs after it", async () => {
    const { answers } = await exchange(
      port,
      rawRequest("/index.html") +
        "POST /index.html HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}" +
        rawRequest("/index.html"),
      ["GET", "POST", "GET"],
    );
    expect(answers.map((a) => a.status)).toEqual([200, 405, 200]);
    expect(answers[2]!.body.toString()).toBe(page);
  });

  it("answers a malformed request 400 and an oversized head 431, and closes", async () => {
    // A third answer never comes: the exchange ends when the server closes.
    const bad = await exchange(
      port,
      rawRequest("/index.html") + rawRequest("/index.html", "X-A: b\u0000c\r\n") + rawRequest("/index.html"),
      ["GET", "GET", "GET"],
    );
    expect(bad.answers.map((a) => a.status)).toEqual([200, 400]);
    expect(bad.closed).toBe(true);
    const oversized = await exchange(port, rawRequest("/index.html", `X-Big: ${"b".repeat(20 * 1024)}\r\n`), [
      "GET",
      "GET",
    ]);
    expect(oversized.answers.map((a) => a.status)).toEqual([431]);
    expect(oversized.closed).toBe(true);
  });

  it("answers a client that pipelines up to the limit and reads late, all of it in order", async () => {
    const client = net.connect(port, "127.0.0.1");
    client.pause();
    await new Promise<void>((resolve, reject) => {
      client.once("connect", resolve);
      client.once("error", reject);
    });
    const before = answered;
    const paths = Array.from({ length: MAX_WAITING_REQUESTS }, (_, i) => `/mid.txt?n=${i}`);
    client.write(paths.map((p) => rawRequest(p)).join(""));
    // 1 MB of answers: the kernel's buffers take them all while the client reads nothing.
    await expect.poll(() => answered - before, { timeout: 20_000 }).toBe(MAX_WAITING_REQUESTS);
    const chunks: Buffer[] = [];
    client.on("data", (chunk: Buffer) => chunks.push(chunk));
    client.resume();
    const methods = paths.map(() => "GET");
    await expect
      .poll(() => splitAnswers(Buffer.concat(chunks), methods).length, { timeout: 20_000 })
      .toBe(paths.length);
    client.destroy();
    expect(splitAnswers(Buffer.concat(chunks), methods).every((a) => a.status === 200 && a.body.equals(mid))).toBe(
      true,
    );
  });

  it("closes a connection pipelining past the limit, having answered no more than the limit", async () => {
    const before = answered;
    // 2,000 requests (64 MB of answers) that node would parse at once and hold until each is written.
    const { answers, closed } = await exchange(
      port,
      Array.from({ length: 2_000 }, (_, i) => rawRequest(`/mid.txt?flood=${i}`)).join(""),
      Array(2_000).fill("GET"),
    );
    expect(closed).toBe(true);
    expect(answers.length).toBeLessThanOrEqual(MAX_WAITING_REQUESTS);
    expect(answered - before).toBeLessThanOrEqual(MAX_WAITING_REQUESTS);
    expect((await get("/index.html")).status).toBe(200);
  });
});

describe("node's limits, from the settings", () => {
  let quick: WebService;
  let quickPort: number;
  beforeAll(async () => {
    const settings = { PORTHOST_HTTP_HEADERS_TIMEOUT_MS: "400", PORTHOST_HTTP_KEEPALIVE_TIMEOUT_MS: "400" };
    quick = await buildWeb({ config: testConfig(settings), publicDir: root, port: 0 });
    quickPort = (await quick.listen())[0]!.port;
  });
  afterAll(() => quick.close());

  it("answers a connection silent past the headers timeout with 408, and closes it", async () => {
    // A second answer never comes: the exchange ends when the server closes.
    const { answers, closed } = await exchange(quickPort, "", ["GET", "GET"]);
    expect(closed).toBe(true);
    expect(answers.map((a) => a.status)).toEqual([408]);
  });

  it("closes a connection idle past the keep-alive timeout after an answer, having announced it", async () => {
    const { answers, closed } = await exchange(quickPort, rawRequest("/index.html"), ["GET", "GET"]);
    expect(closed).toBe(true);
    expect(answers.map((a) => a.status)).toEqual([200]);
    expect(rawHeader(answers[0]!.head, "keep-alive")).toBe("timeout=0");
  });
});

describe("closing the web service", () => {
  it("ends idle keep-alive connections and frees its port, so a new one can listen there at once", async () => {
    const first = await buildWeb({ config, publicDir: root, port: 0 });
    const [endpoint] = await first.listen();
    const stream = await fetch(`http://127.0.0.1:${endpoint!.port}/api/events/stream`);
    expect(stream.status).toBe(200);
    const idle = net.connect(endpoint!.port, "127.0.0.1");
    const ended = new Promise<void>((resolve) => idle.on("close", () => resolve()));
    idle.on("error", () => undefined);
    await new Promise<void>((resolve) => {
      idle.once("data", () => resolve());
      idle.write(rawRequest("/index.html"));
    });
    await first.close();
    await ended;
    const second = await buildWeb({ config, publicDir: root, port: endpoint!.port });
    try {
      expect((await second.listen())[0]!.port).toBe(endpoint!.port);
      expect((await request(endpoint!.port, "/index.html")).status).toBe(200);
    } finally {
      await second.close();
    }
  });
});
