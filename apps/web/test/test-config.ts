import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readConfig, type PorthostConfig } from "@porthost/ports";

/** One data directory per test file, so no test touches ./data or another file's mail. */
export const testDataDir = mkdtempSync(path.join(tmpdir(), "porthost-web-test-"));

export function testConfig(env: Record<string, string> = {}): PorthostConfig {
  return readConfig({ PORTHOST_DATA_DIR: testDataDir, ...env }, "/");
}
