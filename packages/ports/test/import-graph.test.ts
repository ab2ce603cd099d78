import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));

/** Each source file and the files it imports or re-exports from (type-only imports too). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of readdirSync(SRC).filter((f) => f.endsWith(".ts"))) {
    const source = readFileSync(path.join(SRC, file), "utf8");
    const targets = [...source.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"\.\/([^"]+)\.js"/gms)];
    graph.set(
      file,
      targets.map((match) => `${match[1]}.ts`),
    );
  }
  return graph;
}

/** Every path that comes back to where it started, as `a.ts -> b.ts -> a.ts`. */
function cycles(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  const done = new Set<string>();
  const visit = (file: string, trail: string[]): void => {
    if (trail.includes(file)) return void found.push([...trail.slice(trail.indexOf(file)), file].join(" -> "));
    if (done.has(file)) return;
    for (const next of graph.get(file) ?? []) visit(next, [...trail, file]);
    done.add(file);
  };
  for (const file of graph.keys()) visit(file, []);
  return found;
}

describe("@porthost/ports' modules", () => {
  it("import one another without a loop (settings files need env-values.ts, never config.ts)", () => {
    const graph = importGraph();
    expect(graph.get("config.ts")).toContain("echo-settings.ts");
    expect(cycles(graph)).toEqual([]);
  });

  it("would name a loop", () => {
    const loop = new Map([
      ["config.ts", ["http-settings.ts"]],
      ["http-settings.ts", ["config.ts"]],
    ]);
    expect(cycles(loop)).toEqual(["config.ts -> http-settings.ts -> config.ts"]);
  });
});
