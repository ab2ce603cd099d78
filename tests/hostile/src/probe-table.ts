import { appendFileSync } from "node:fs";
import { inject } from "vitest";

/** One probe's line in the table test:hostile prints at the end. */
export interface ProbeRow {
  /** What was done, as an attacker or a broken machine would: "POP3: pipelines CAPA, never reads". */
  readonly probe: string;
  /** What porthost promises: "< +100 MB RSS". */
  readonly limit: string;
  /** What was measured in this run: "+12 MB". */
  readonly observed: string;
  readonly held: boolean;
}

declare module "vitest" {
  /** The file the rows gather in (test files run in workers of their own), from probe-table-setup.ts. */
  export interface ProvidedContext {
    probeTable: string;
  }
}

/**
 * Records a probe's row for the table, then returns whether it held, for the test to assert:
 * `expect(recordProbe({...})).toBe(true)` prints the row whether or not the probe held.
 */
export function recordProbe(row: ProbeRow): boolean {
  const file = inject("probeTable");
  if (file) appendFileSync(file, `${JSON.stringify(row)}\n`);
  return row.held;
}

/** The rows as a table a person reads: probe, limit, observed, held. */
export function renderProbeTable(rows: readonly ProbeRow[]): string {
  const header = ["probe", "limit", "observed", "held"];
  const cells = rows.map((r) => [r.probe, r.limit, r.observed, r.held ? "yes" : "NO"]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string =>
    c
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}
