import { execFile } from "node:child_process";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTool, tempDir } from "@porthost/testkit";
import { testConfig } from "./test-config.js";
import { buildWeb, DEFAULT_PUBLIC_DIR, type WebService } from "../src/index.js";

const run = promisify(execFile);
let curl: string;
let web: WebService;
let base: string;
let remove: () => Promise<void>;

/** curl's status line and headers (lower-cased names) for a request; the path is sent as written. */
async function head(
  urlPath: string,
  ...args: string[]
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const { stdout } = await run(curl, ["-s", "-i", "--path-as-is", ...args, `${base}${urlPath}`], {
    encoding: "latin1",
  });
  const [head = "", body = ""] = stdout.split("\r\n\r\n", 2);
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers = Object.fromEntries(
    lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]),
  );
  return { status: Number(statusLine.split(" ")[1]), headers, body };
}

beforeAll(async () => {
  curl = requireTool("curl");
  const temp = await tempDir();
  remove = temp.remove;
  // The real built site (public/ and the switchboard), plus a sibling, a secret outside and a symlink out, to attack.
  const root = path.join(temp.dir, "public");
  await run("cp", ["-r", DEFAULT_PUBLIC_DIR, root]);
  await writeFile(path.join(temp.dir, "secret.txt"), "outside the root");
  await mkdir(path.join(temp.dir, "public-sibling"));
  await writeFile(path.join(temp.dir, "public-sibling", "x.txt"), "sibling secret");
  await writeFile(path.join(root, ".env"), "PASSWORD=hunter2");
  await mkdir(path.join(root, ".git"));
  await writeFile(path.join(root, ".git", "config"), "[core]");
  await symlink(path.join(temp.dir, "secret.txt"), path.join(root, "escape.txt"));
  web = await buildWeb({ config: testConfig(), publicDir: root, port: 0 });
  base = `http://127.0.0.1:${(await web.listen())[0]!.port}`;
});
afterAll(async () => {
  await web?.close();
  await remove?.();
});

describe("curl against the static site", () => {
  it.each([
    ["sample.html", "text/html; charset=utf-8"],
    ["sample.css", "text/css; charset=utf-8"],
    ["sample.js", "text/javascript; charset=utf-8"],
    ["sample.json", "application/json; charset=utf-8"],
    ["sample.svg", "image/svg+xml; charset=utf-8"],
    ["sample.png", "image/png"],
    ["sample.woff2", "font/woff2"],
    ["sample.pdf", "application/pdf"],
    ["sample.wasm", "application/wasm"],
    ["sample.zip", "application/zip"],
    ["sample.dat", "application/octet-stream"],
  ])("curl -I /mime/%s says %s", async (file, type) => {
    const response = await head(`/mime/${file}`, "-I");
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe(type);
  });

  it("304 for If-None-Match with the ETag curl saw", async () => {
    const first = await head("/index.html");
    const again = await head("/index.html", "-H", `If-None-Match: ${first.headers.etag}`);
    expect(again.status).toBe(304);
  });

  it("206 for a single range, 416 for an unsatisfiable one", async () => {
    const partial = await head("/mime/sample.txt", "-r", "0-5");
    expect(partial.status).toBe(206);
    expect(partial.body).toBe("A port");
    expect(partial.headers["content-range"]).toMatch(/^bytes 0-5\/\d+$/);
    const beyond = await head("/mime/sample.txt", "-r", "99999-");
    expect(beyond.status).toBe(416);
  });

  it("brotli for curl --compressed, gzip when only gzip is accepted", async () => {
    const response = await head("/", "--compressed");
    expect(response.headers["content-encoding"]).toBe("br");
    expect(response.body).toContain("porthost");
    const gzip = await head("/", "-H", "Accept-Encoding: gzip");
    expect(gzip.headers["content-encoding"]).toBe("gzip");
  });

  it.each(["/mime", "//mime", "///mime"])(
    "redirects %s to /mime/, never to a path a browser reads as another host",
    async (urlPath) => {
      const response = await head(urlPath, "-I");
      expect(response.status).toBe(301);
      expect(response.headers.location).toBe("/mime/");
    },
  );

  it("curl -L follows //mime to the samples' index on the same server", async () => {
    const { stdout } = await run(curl, ["-sL", "--path-as-is", `${base}//mime`]);
    expect(stdout).toContain("sample.wasm");
  });

  it.each([
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/%2E%2E/secret.txt",
    "/..%2fsecret.txt",
    "/..%5csecret.txt",
    "/..\\secret.txt",
    "/index.html%00.txt",
    "/%00",
    "/%252e%252e/secret.txt",
    "//secret.txt",
    "/../public-sibling/x.txt",
    "/escape.txt",
    "/.env",
    "/.git/config",
    "/%2egit/config",
    "/mime/../.env",
  ])("never serves %s from outside the root or a dotfile", async (attack) => {
    const response = await head(attack);
    expect([400, 404]).toContain(response.status);
    expect(response.body).not.toMatch(/outside the root|sibling secret|hunter2|\[core\]/);
  });
});
