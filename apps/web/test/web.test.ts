import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "./static-client.js";
import { testConfig } from "./test-config.js";
import { buildWeb, type WebService } from "../src/index.js";

const config = testConfig();
let web: WebService;

describe("web with its own public/ folder", () => {
  beforeAll(async () => {
    web = await buildWeb({ config });
  });
  afterAll(() => web.close());

  it("GET /api/ports lists every service with its resolved port and address", async () => {
    const response = await web.app.inject({ method: "GET", url: "/api/ports" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toContain("application/json");
    const body = response.json<{
      portOffset: number;
      services: { name: string; port: number; addr: string; rangeClass: string }[];
    }>();
    expect(body.portOffset).toBe(8000);
    const smtp = body.services.find((s) => s.name === "smtp");
    expect(smtp).toMatchObject({ port: 8025, addr: "127.0.0.1:8025", rangeClass: "user" });
    expect(body.services.map((s) => s.name).sort()).toEqual([
      "discard",
      "echo",
      "http",
      "https",
      "knock",
      "pop3",
      "pop3s",
      "smtp",
      "submission",
      "submissions",
      "vault",
    ]);
  });

  it("serves / as text/html", async () => {
    const response = await web.app.inject({ method: "GET", url: "/" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(response.body).toContain("<h1>porthost</h1>");
  });

  it("serves CSS and JavaScript with their types", async () => {
    expect((await web.app.inject({ url: "/style.css" })).headers["content-type"]).toBe("text/css; charset=utf-8");
    // The switchboard's script, under the hashed name vite gave it.
    const page = (await web.app.inject({ url: "/" })).body;
    const script = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)"/.exec(page)?.[1];
    expect(script).toBeDefined();
    expect((await web.app.inject({ url: script! })).headers["content-type"]).toBe("text/javascript; charset=utf-8");
  });

  it("answers HEAD with headers and no body", async () => {
    const response = await web.app.inject({ method: "HEAD", url: "/" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(response.body).toBe("");
  });

  it("gives the 404 page for a missing file", async () => {
    const response = await web.app.inject({ url: "/no/such/file.html" });
    expect(response.statusCode).toBe(404);
    expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(response.body).toContain("404 Not Found");
  });
});

describe("/mime/ has one sample per common type, over a real socket", () => {
  let site: WebService;
  let port: number;
  beforeAll(async () => {
    site = await buildWeb({ config, port: 0 });
    port = (await site.listen())[0]!.port;
  });
  afterAll(() => site.close());

  it.each([
    ["html", "text/html; charset=utf-8"],
    ["css", "text/css; charset=utf-8"],
    ["js", "text/javascript; charset=utf-8"],
    ["mjs", "text/javascript; charset=utf-8"],
    ["json", "application/json; charset=utf-8"],
    ["txt", "text/plain; charset=utf-8"],
    ["csv", "text/csv; charset=utf-8"],
    ["xml", "application/xml; charset=utf-8"],
    ["svg", "image/svg+xml; charset=utf-8"],
    ["png", "image/png"],
    ["jpg", "image/jpeg"],
    ["gif", "image/gif"],
    ["webp", "image/webp"],
    ["avif", "image/avif"],
    ["ico", "image/vnd.microsoft.icon"],
    ["woff", "font/woff"],
    ["woff2", "font/woff2"],
    ["pdf", "application/pdf"],
    ["mp3", "audio/mpeg"],
    ["mp4", "video/mp4"],
    ["webm", "video/webm"],
    ["wasm", "application/wasm"],
    ["zip", "application/zip"],
    ["dat", "application/octet-stream"],
  ])("sample.%s is %s and listed on the index page", async (ext, type) => {
    const response = await request(port, `/mime/sample.${ext}`, { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe(type);
    expect(Number(response.headers["content-length"])).toBeGreaterThan(0);
    const index = await request(port, "/mime/");
    const row = index.body
      .toString()
      .split("<tr>")
      .find((r) => r.includes(`<code>sample.${ext}</code>`));
    expect(row).toContain(`<code>${type}</code>`);
  });

  it("the samples are what their types say (magic numbers)", async () => {
    const magic: Record<string, string> = {
      png: "89504e47",
      gif: "47494638",
      pdf: "25504446",
      zip: "504b0304",
      wasm: "0061736d",
      woff: "774f4646",
      woff2: "774f4632",
      jpg: "ffd8ff",
    };
    for (const [ext, hex] of Object.entries(magic)) {
      const { body } = await request(port, `/mime/sample.${ext}`);
      expect(body.subarray(0, hex.length / 2).toString("hex"), ext).toBe(hex);
    }
  });
});

describe("the teaching site", () => {
  let site: WebService;
  beforeAll(async () => {
    site = await buildWeb({ config });
  });
  afterAll(() => site.close());

  it("every local link and asset on its pages answers (no dead ends)", async () => {
    const pages = ["/", "/ports.html", "/mime/", "/404.html"];
    const checked = new Set<string>();
    for (const page of pages) {
      const response = await site.app.inject({ url: page });
      expect(response.statusCode, page).toBe(200);
      for (const [, ref] of response.body.matchAll(/(?:href|src)="([^"#]+)"/g)) {
        if (/^[a-z]+:/i.test(ref!) || ref!.startsWith("//")) continue;
        const url = new URL(ref!, `http://site${page}`).pathname;
        if (checked.has(url)) continue;
        checked.add(url);
        const target = await site.app.inject({ url });
        expect(target.statusCode, `${page} -> ${url}`).toBeLessThan(400);
      }
    }
    expect(checked).toContain("/ports.html");
    expect(checked.size).toBeGreaterThan(10);
  });

  it("/ports.html teaches the three ranges and is small enough to benchmark as a 2-3 KB page", async () => {
    const response = await site.app.inject({ url: "/ports.html" });
    expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(response.body).toContain("49152-65535");
    expect(response.rawPayload.length).toBeGreaterThanOrEqual(2_048);
    expect(response.rawPayload.length).toBeLessThanOrEqual(3_072);
  });
});
