import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { portVariable, SERVICE_NAMES } from "@porthost/ports";

/** Debian packages that provide the outside tools test:e2e drives. */
const PACKAGE_OF: Readonly<Record<string, string>> = {
  swaks: "swaks",
  socat: "socat",
  nc: "netcat-openbsd",
  nmap: "nmap",
  curl: "curl",
  chromium: "chromium",
  python3: "python3",
  mpop: "mpop",
  wrk: "wrk",
  "smtp-source": "postfix",
  nginx: "nginx-light",
  knock: "knockd",
  openssl: "openssl",
  certutil: "libnss3-tools",
};

/** The absolute path of an outside tool, or undefined when it is not installed. */
export function findTool(name: string): string | undefined {
  try {
    return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The path of a tool an e2e test needs. A missing tool fails the test with the package to
 * install; it never lets the test pass silently.
 */
export function requireTool(name: string): string {
  const found = findTool(name);
  if (found) return found;
  const pkg = PACKAGE_OF[name] ?? name;
  throw new Error(
    `test:e2e needs ${name}, which is not installed: apt-get install -y ${pkg} (the .ci/run script installs it)`,
  );
}

/** A fresh directory under the system's temp dir, and a function that removes it. */
export async function tempDir(prefix = "porthost-test-"): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
/**
 * Every service's port variable set to 0, so a porthost a test or benchmark starts binds only
 * ports the kernel picks and never collides with another run (new rows of the table included).
 */
export function ephemeralPorts(): Record<string, string> {
  return Object.fromEntries(SERVICE_NAMES.map((name) => [portVariable(name), "0"]));
}
export * from "./net-probes.js";
export * from "./porthost-process.js";
export * from "./tls-fixture.js";
export * from "./read-only-dir.js";
export * from "./dev-ca.js";
