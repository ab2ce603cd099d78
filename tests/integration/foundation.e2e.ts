import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { environmentWith } from "@porthost/ports";
import { ephemeralPorts, requireTool, startPorthost, tempDir, type RunningPorthost } from "@porthost/testkit";

const run = promisify(execFile);
const BIN = fileURLToPath(import.meta.resolve("@porthost/cli/bin"));

/** `porthost start` as a user runs it, poked by the outside clients the README tour uses. */
describe("npm start's services answer curl, swaks and nc", () => {
  let porthost: RunningPorthost;
  let dataDir: string;
  let remove: () => Promise<void>;

  beforeAll(async () => {
    for (const tool of ["curl", "swaks", "nc"]) requireTool(tool);
    ({ dir: dataDir, remove } = await tempDir());
    porthost = await startPorthost(BIN, {
      PORTHOST_DATA_DIR: dataDir,
      ...ephemeralPorts(),
    });
  });
  afterAll(async () => {
    expect(await porthost?.stop()).toBe(0);
    await remove?.();
  });

  it("curl gets the start page as text/html and the port table as JSON", async () => {
    const http = porthost.port("http");
    const page = await run(requireTool("curl"), ["-si", `http://127.0.0.1:${http}/`]);
    expect(page.stdout).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(page.stdout).toMatch(/content-type: text\/html; charset=utf-8/i);
    const api = await run(requireTool("curl"), ["-s", `http://127.0.0.1:${http}/api/ports`]);
    const body = JSON.parse(api.stdout) as { services: { name: string }[] };
    expect(body.services.map((s) => s.name)).toContain("smtp");
  });

  it("swaks delivers a message that lands in the Maildir", async () => {
    const smtp = porthost.port("smtp");
    const { stdout } = await run(requireTool("swaks"), [
      "--server",
      `127.0.0.1:${smtp}`,
      "--to",
      "learner@example.test",
      "--from",
      "swaks@example.test",
      "--header",
      "Subject: from swaks",
    ]);
    expect(stdout).toMatch(/<-\s+250 .*queued as (\S+)/);
    const id = /queued as (\S+)/.exec(stdout)![1]!;
    expect(await readdir(path.join(dataDir, "Maildir", "new"))).toContain(id);
  });

  it("nc gets its line back from echo", async () => {
    const echo = porthost.port("echo");
    const { stdout } = await run("sh", [
      "-c",
      `printf 'hello, port %s\\n' ${echo} | ${requireTool("nc")} -q1 127.0.0.1 ${echo}`,
    ]);
    expect(stdout).toBe(`hello, port ${echo}\n`);
  });
});

describe("npm start, as the README gives it", () => {
  it("refuses a bad setting with one line naming the variable, and exits non-zero", async () => {
    const result = await run("npm", ["start", "--silent"], {
      cwd: fileURLToPath(new URL("../../", import.meta.url)),
      env: environmentWith({ PORTHOST_SMTP_PORT: "abc" }),
    }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split("\n");
    // The build's progress (scripts/build-progress.mjs: up to date here), then the one line.
    expect(lines[0]).toMatch(/^porthost: build/);
    expect(lines.slice(0, -1).every((line) => /^porthost: (build|still building)/.test(line))).toBe(true);
    expect(lines.at(-1)).toBe(
      'porthost: PORTHOST_SMTP_PORT="abc" is not a port number: use a whole number from 0 to 65535',
    );
  });
});
