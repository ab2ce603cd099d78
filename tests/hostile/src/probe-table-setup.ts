import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { renderProbeTable, type ProbeRow } from "./probe-table.js";

/** Vitest's global setup: a file for the probes' rows, printed as one table when every probe has run. */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(path.join(tmpdir(), "porthost-hostile-"));
  const file = path.join(dir, "rows.jsonl");
  project.provide("probeTable", file);
  return () => {
    let rows: ProbeRow[] = [];
    try {
      rows = readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as ProbeRow);
    } catch {
      // No probe ran far enough to record a row.
    }
    rmSync(dir, { recursive: true, force: true });
    process.stdout.write(`\ntest:hostile: ${rows.length} probes\n\n${renderProbeTable(rows)}\n\n`);
  };
}
