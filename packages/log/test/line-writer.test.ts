import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const LOG_MODULE = fileURLToPath(new URL("../dist/index.js", import.meta.url));

/** A child process that logs through createLogger's default destination (its stdout). */
function logger(script: string) {
  const source = `import { createLogger } from ${JSON.stringify(LOG_MODULE)};
const log = createLogger({ service: "test" });
${script}`;
  return spawn(process.execPath, ["--input-type=module", "-e", source], { stdio: ["ignore", "pipe", "pipe"] });
}

async function exitCode(child: ReturnType<typeof spawn>, withinMs: number): Promise<number | null | "hung"> {
  const timer = setTimeout(() => child.kill("SIGKILL"), withinMs);
  const [code, signal] = (await once(child, "exit")) as [number | null, string | null];
  clearTimeout(timer);
  return signal === "SIGKILL" ? "hung" : code;
}

describe("the default log destination (lineWriter on stdout)", () => {
  it("writes every line, in order, even those logged just before process.exit", async () => {
    const child = logger(`for (let i = 0; i < 5000; i++) log.info({ i }, "line"); process.exit(0);`);
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
    expect(await exitCode(child, 10_000)).toBe(0);
    const numbers = out
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { i: number }).i);
    expect(numbers).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it("a reader that goes away (EPIPE) does not hold the process: it stops and exits", async () => {
    const child = logger(`
setInterval(() => log.info("still here"), 5);
setTimeout(() => { log.info("last words"); process.exit(3); }, 500);`);
    await once(child.stdout!, "data");
    child.stdout!.destroy(); // the read end closes: the child's next writes get EPIPE
    expect(await exitCode(child, 5_000)).toBe(3);
  });

  it("a slow reader gets every line: nothing is dropped while it does not read", async () => {
    const child = logger(`const line = "x".repeat(1000);
for (let i = 0; i < 20000; i++) log.info({ i }, line);
process.exit(0);`);
    child.stdout!.pause(); // 20 MB waits for a reader that reads nothing for a second
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    let lines = 0;
    let tail = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      const text = tail + chunk.toString();
      const parts = text.split("\n");
      tail = parts.pop()!;
      lines += parts.length;
    });
    child.stdout!.resume();
    expect(await exitCode(child, 20_000)).toBe(0);
    expect(lines).toBe(20_000);
  });
});
