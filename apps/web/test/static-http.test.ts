import { writeFile } from "node:fs/promises";
import path from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publicSite } from "./public-site.js";
import { testConfig } from "./test-config.js";
import { buildWeb, type WebService } from "../src/index.js";

const config = testConfig();
const page = `<!doctype html><title>t</title>${"<p>port numbers dispatch traffic</p>\n".repeat(60)}`;
const big = Buffer.alloc(600 * 1024, "a"); // above the in-memory limit: streamed from disk
let root: string;
let remove: () => Promise<void>;
let web: WebService;

beforeAll(async () => {
  ({ root, remove } = await publicSite({ "index.html": page, "tiny.txt": "0123456789", "big.txt": big }));
  web = await buildWeb({ config, publicDir: root });
});
afterAll(async () => {
  await web.close();
  await remove();
});

describe("validators", () => {
  it("sends ETag, Last-Modified and Cache-Control, and 304 for a matching If-None-Match", async () => {
    const first = await web.app.inject({ url: "/index.html" });
    expect(first.statusCode).toBe(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers["last-modified"]).toBeDefined();
    expect(first.headers["cache-control"]).toBe("no-cache");
    const again = await web.app.inject({ url: "/index.html", headers: { "if-none-match": etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe("");
    expect(again.headers.etag).toBe(etag);
  });

  it("304 for If-Modified-Since at or after the file's time, 200 before it", async () => {
    const first = await web.app.inject({ url: "/tiny.txt" });
    const lastModified = first.headers["last-modified"] as string;
    expect(
      (await web.app.inject({ url: "/tiny.txt", headers: { "if-modified-since": lastModified } })).statusCode,
    ).toBe(304);
    const earlier = new Date(Date.parse(lastModified) - 60_000).toUTCString();
    expect((await web.app.inject({ url: "/tiny.txt", headers: { "if-modified-since": earlier } })).statusCode).toBe(
      200,
    );
  });

  it("a stale ETag gets the full body", async () => {
    const response = await web.app.inject({ url: "/index.html", headers: { "if-none-match": '"stale"' } });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(page);
  });
});

describe("ranges", () => {
  it.each([
    ["bytes=0-3", "0123", "bytes 0-3/10"],
    ["bytes=7-", "789", "bytes 7-9/10"],
    ["bytes=-2", "89", "bytes 8-9/10"],
    ["bytes=5-100", "56789", "bytes 5-9/10"],
  ])("%s gives 206 %s", async (range, body, contentRange) => {
    const response = await web.app.inject({ url: "/tiny.txt", headers: { range } });
    expect(response.statusCode).toBe(206);
    expect(response.body).toBe(body);
    expect(response.headers["content-range"]).toBe(contentRange);
    expect(response.headers["content-length"]).toBe(String(body.length));
  });

  it("an unsatisfiable range gives 416 with the size", async () => {
    const response = await web.app.inject({ url: "/tiny.txt", headers: { range: "bytes=10-20" } });
    expect(response.statusCode).toBe(416);
    expect(response.headers["content-range"]).toBe("bytes */10");
    expect(response.json()).toMatchObject({ code: "PORTHOST_WEB_RANGE_NOT_SATISFIABLE" });
  });

  it("several ranges or another unit are ignored: 200 with the whole file", async () => {
    for (const range of ["bytes=0-1,4-5", "lines=1-2"]) {
      const response = await web.app.inject({ url: "/tiny.txt", headers: { range } });
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe("0123456789");
    }
  });

  it("If-Range with an old validator ignores the range", async () => {
    const response = await web.app.inject({ url: "/tiny.txt", headers: { range: "bytes=0-3", "if-range": '"old"' } });
    expect(response.statusCode).toBe(200);
  });

  it("ranges a large file streamed from disk", async () => {
    const response = await web.app.inject({ url: "/big.txt", headers: { range: "bytes=500000-500009" } });
    expect(response.statusCode).toBe(206);
    expect(response.body).toBe("aaaaaaaaaa");
    const whole = await web.app.inject({ url: "/big.txt" });
    expect(whole.rawPayload.length).toBe(big.length);
    expect(whole.headers["content-length"]).toBe(String(big.length));
  });

  it("HEAD of a large file and of a range: the GET's headers, no body", async () => {
    const head = await web.app.inject({ method: "HEAD", url: "/big.txt" });
    expect(head.statusCode).toBe(200);
    expect(head.headers["content-length"]).toBe(String(big.length));
    expect(head.rawPayload.length).toBe(0);
    const ranged = await web.app.inject({ method: "HEAD", url: "/big.txt", headers: { range: "bytes=0-9" } });
    expect(ranged.statusCode).toBe(206);
    expect(ranged.headers["content-range"]).toBe(`bytes 0-9/${big.length}`);
    expect(ranged.headers["content-length"]).toBe("10");
    expect(ranged.rawPayload.length).toBe(0);
  });
});

describe("compression", () => {
  it("brotli when accepted, gzip otherwise, identity when neither; Vary on all", async () => {
    const br = await web.app.inject({ url: "/", headers: { "accept-encoding": "gzip, deflate, br" } });
    expect(br.headers["content-encoding"]).toBe("br");
    expect(br.headers.vary).toBe("Accept-Encoding");
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(page);

    const gz = await web.app.inject({ url: "/", headers: { "accept-encoding": "gzip" } });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gz.rawPayload).toString()).toBe(page);
    expect(gz.headers.etag).not.toBe(br.headers.etag);

    const none = await web.app.inject({ url: "/", headers: { "accept-encoding": "br;q=0, gzip;q=0" } });
    expect(none.headers["content-encoding"]).toBeUndefined();
    expect(none.body).toBe(page);
  });

  it("a 304 for a compressed variant's ETag", async () => {
    const gz = await web.app.inject({ url: "/", headers: { "accept-encoding": "gzip" } });
    const again = await web.app.inject({
      url: "/",
      headers: { "accept-encoding": "gzip", "if-none-match": gz.headers.etag as string },
    });
    expect(again.statusCode).toBe(304);
  });
});

describe("methods and changes", () => {
  it("405 with Allow for methods other than GET and HEAD", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"] as const) {
      const response = await web.app.inject({ method, url: "/index.html" });
      expect(response.statusCode).toBe(405);
      expect(response.headers.allow).toBe("GET, HEAD");
    }
  });

  it("serves the new content after the file changes", async () => {
    await writeFile(path.join(root, "changing.txt"), "first");
    expect((await web.app.inject({ url: "/changing.txt" })).body).toBe("first");
    await writeFile(path.join(root, "changing.txt"), "second version");
    await expect
      .poll(async () => (await web.app.inject({ url: "/changing.txt" })).body, { timeout: 3_000 })
      .toBe("second version");
  });
});
