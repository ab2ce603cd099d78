import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const LOG = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const LINES = 20_000;

/**
 * Runs a real process that logs LINES numbered lines through createLogger's default destination
 * (stdout), the last ones in the same event-loop turn as its exit, and collects its stdout.
 */
function run(ending: string): Promise<{ numbers: number[]; code: number | null; signal: string | null }> {
  const script = `
    const { createLogger } = await import(${JSON.stringify(LOG)});
    const logger = createLogger({ service: "test" });
    let n = 0;
    // Lines over many turns (so some writes are in progress), then the rest at once.
    await new Promise((resolve) => {
      const tick = () => {
        for (let i = 0; i < 100; i++) logger.info({ n: n++ }, "line");
        if (n < ${LINES / 2}) setImmediate(tick);
        else resolve();
      };
      tick();
    });
    while (n < ${LINES}) logger.info({ n: n++ }, "line");
    ${ending}
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      const numbers = out
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => (JSON.parse(line) as { n: number }).n);
      resolve({ numbers, code, signal });
    });
  });
}

const all = Array.from({ length: LINES }, (_, i) => i);

describe("the default log destination through a real process: what ends it", () => {
  it("loses no line, and keeps their order, when the process exits in the turn that logged them", async () => {
    const result = await run("process.exit(3);");
    expect(result.code).toBe(3);
    expect(result.numbers).toEqual(all);
  });

  it("loses no line when a signal handler exits (as the services stop on SIGTERM and SIGINT)", async () => {
    const result = await run(`process.on("SIGTERM", () => process.exit(0)); process.kill(process.pid, "SIGTERM");`);
    expect(result.code).toBe(0);
    expect(result.numbers).toEqual(all);
  });

  it("loses no line when an uncaught error ends the process", async () => {
    const result = await run(`throw new Error("boom");`);
    expect(result.code).toBe(1);
    expect(result.numbers).toEqual(all);
  });

  it("prints a quiet service's line at once, not when the process ends", async () => {
    const script = `
      const { createLogger } = await import(${JSON.stringify(LOG)});
      createLogger({ service: "test" }).info({ n: 0 }, "line");
      setTimeout(() => undefined, 10_000);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    try {
      const first = await new Promise<string>((resolve) => child.stdout.setEncoding("utf8").once("data", resolve));
      expect(JSON.parse(first)).toMatchObject({ n: 0, msg: "line", service: "test" });
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("loses no line when the event loop simply runs dry", async () => {
    const result = await run("");
    expect(result.code).toBe(0);
    expect(result.numbers).toEqual(all);
  });
});
