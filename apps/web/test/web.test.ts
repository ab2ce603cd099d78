import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "@porthost/ports";
import { tempDir } from "@porthost/testkit";
import { buildWeb, type WebService } from "../src/index.js";

const config = loadConfig({}, "/");
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
    expect(body.services.map((s) => s.name).sort()).toEqual(["discard", "echo", "http", "https", "pop3", "smtp"]);
  });

  it("serves / as text/html", async () => {
    const response = await web.app.inject({ method: "GET", url: "/" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(response.body).toContain("<h1>porthost</h1>");
  });

  it("serves CSS and JavaScript with their types", async () => {
    expect((await web.app.inject({ url: "/style.css" })).headers["content-type"]).toBe("text/css; charset=utf-8");
    expect((await web.app.inject({ url: "/ports.js" })).headers["content-type"]).toBe("text/javascript; charset=utf-8");
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

describe("static files stay inside the root", () => {
  let root: string;
  let removeTemp: () => Promise<void>;
  let site: WebService;

  beforeAll(async () => {
    const temp = await tempDir();
    removeTemp = temp.remove;
    root = path.join(temp.dir, "public");
    await mkdir(path.join(root, "docs"), { recursive: true });
    await writeFile(path.join(root, "index.html"), "<p>root</p>");
    await writeFile(path.join(root, "docs", "index.html"), "<p>docs</p>");
    await writeFile(path.join(root, "data.bin"), "x");
    await writeFile(path.join(root, ".env"), "SECRET=1");
    await writeFile(path.join(temp.dir, "secret.txt"), "outside");
    await mkdir(path.join(temp.dir, "public-sibling"));
    await writeFile(path.join(temp.dir, "public-sibling", "x.txt"), "sibling");
    await symlink(path.join(temp.dir, "secret.txt"), path.join(root, "link.txt"));
    site = await buildWeb({ config, publicDir: root });
  });
  afterAll(async () => {
    await site.close();
    await removeTemp();
  });

  it("serves a directory's index.html and redirects the slashless path", async () => {
    expect((await site.app.inject({ url: "/docs/" })).body).toBe("<p>docs</p>");
    const redirect = await site.app.inject({ url: "/docs" });
    expect(redirect.statusCode).toBe(301);
    expect(redirect.headers.location).toBe("/docs/");
  });

  it("serves unknown extensions as application/octet-stream", async () => {
    expect((await site.app.inject({ url: "/data.bin" })).headers["content-type"]).toBe("application/octet-stream");
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
  ])("refuses %s with 404", async (url) => {
    const response = await site.app.inject({ url });
    expect(response.statusCode).toBe(404);
    expect(response.body).not.toContain("outside");
    expect(response.body).not.toContain("sibling");
    expect(response.body).not.toContain("SECRET");
  });
});
