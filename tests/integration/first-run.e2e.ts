import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { environmentWith } from "@porthost/ports";
import { tempDir } from "@porthost/testkit";

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BUILD_TIMEOUT_MS = 240_000; // 4 min: turbo builds every package the command needs, vite the page
const BUILDING = "porthost: building the command first (once)";

/**
 * What a first run prints while it builds: it says so, then how many packages need building and an
 * estimate, then a line per package as it starts. A rebuild turbo restores from its cache says so instead.
 */
function expectBuildProgress(stderr: string, fromCache = false): void {
  const lines = stderr.trim().split("\n");
  expect(lines[0]).toBe(BUILDING);
  if (fromCache) {
    const said = lines.slice(1).filter((line) => !line.startsWith("porthost: still building"));
    // When turbo restores the build from its cache, one line says so; when its hashes say the
    // build must run again (CI saw all 14 packages rebuilt), the progress lines below follow.
    if (said.length === 1) {
      expect(said).toEqual([expect.stringMatching(/^porthost: building: .* built or in turbo's cache$/)]);
      return;
    }
  }
  expect(lines[1]).toMatch(/^porthost: building \d+ of \d+ packages \(\d+ up to date\); about \d+ (s|min)/);
  const started = lines.filter((line) => /^porthost: building \d+ of \d+: @porthost\/[a-z-]+ \(/.test(line));
  expect(started.length).toBeGreaterThan(0);
  expect(lines.at(-1)).toMatch(/^porthost: built \d+ packages? in \d+ (s|min)/);
}

/** `npx porthost ...` in a directory, with its exit code, stdout and stderr. */
async function npxPorthost(cwd: string, args: readonly string[]) {
  return run("npx", ["--no-install", "porthost", ...args], {
    cwd,
    env: environmentWith({ npm_config_update_notifier: "false" }),
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

/**
 * A checkout just after `npm ci`: this working tree with node_modules (its workspace links are
 * relative, so they point into the copy) but without any package's build output.
 */
async function unbuiltCopy(dir: string): Promise<void> {
  const excludes = [
    "./.git",
    "./data",
    ".turbo",
    ...["packages", "apps", "tests", "bench"].map((d) => `./${d}/*/dist`),
  ];
  await run("sh", [
    "-c",
    `tar -C "$1" ${excludes.map((e) => `--exclude='${e}'`).join(" ")} -cf - . | tar -C "$2" -xf -`,
    "copy",
    REPO_ROOT,
    dir,
  ]);
}

describe("npx porthost right after npm ci, before any build", () => {
  let checkout: string;
  let remove: () => Promise<void>;

  beforeAll(async () => {
    ({ dir: checkout, remove } = await tempDir("porthost-first-run-"));
    await unbuiltCopy(checkout);
    expect(existsSync(path.join(checkout, "apps/cli/dist"))).toBe(false);
  }, BUILD_TIMEOUT_MS);
  afterAll(async () => {
    await remove?.();
  });

  it(
    "builds itself once, says so on stderr only, and answers",
    async () => {
      const first = await npxPorthost(checkout, ["whois", "443"]);
      expectBuildProgress(first.stderr);
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/^443: system \(well-known\) ports, 0-1023\n\s+well-known: https \(tcp\)/);

      const second = await npxPorthost(checkout, ["ports", "--json"]);
      expect(second.stderr).toBe("");
      expect(second.code).toBe(0);
      const table = JSON.parse(second.stdout) as { service: string }[];
      expect(table.map((row) => row.service)).toContain("smtp");
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    "builds a package the command imports that went missing, and runs the command in a fresh process",
    async () => {
      await rm(path.join(checkout, "packages/ports/dist"), { recursive: true, force: true });
      const result = await npxPorthost(checkout, ["whois", "smtp", "--json"]);
      // The first test's build is in turbo's cache: the missing dist/ comes back from it.
      expectBuildProgress(result.stderr, true);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ name: "smtp", porthost: { wellKnownPort: 25 } });
    },
    BUILD_TIMEOUT_MS,
  );
});
