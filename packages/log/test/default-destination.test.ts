import { spawn, type ChildProcessByStdio } from "node:child_process";
import { once } from "node:events";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const LOG = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const LINES = 20_000;
/** A child still running after this long is killed and reported as hung (a busy machine needs a fraction). */
const HUNG_AFTER_MS = 30_000; // 30 s

type Child = ChildProcessByStdio<null, Readable, Readable>;
type Ending = { code: number | null; signal: NodeJS.Signals | null } | "hung";

/** A real process that logs through createLogger's default destination (its stdout) as `log`. */
function logging(script: string): Child {
  const source = `const { createLogger } = await import(${JSON.stringify(LOG)});
const log = createLogger({ service: "test" });
${script}`;
  return spawn(process.execPath, ["--input-type=module", "-e", source], { stdio: ["ignore", "pipe", "pipe"] });
}

/** How the child ended, once its output is closed too; "hung" if it had to be killed. */
async function ending(child: Child): Promise<Ending> {
  let hung = false;
  const watchdog = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, HUNG_AFTER_MS);
  const [code, signal] = (await once(child, "close")) as [number | null, NodeJS.Signals | null];
  clearTimeout(watchdog);
  return hung ? "hung" : { code, signal };
}

/** The `n` of every line the child printed, in order. */
function numbersOf(output: string): number[] {
  return output
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => (JSON.parse(line) as { n: number }).n);
}

/**
 * A process that logs LINES numbered lines, half over many event-loop turns and the rest in the
 * turn that runs `end`; what it printed and how it ended.
 */
async function logThenEnd(end: string): Promise<{ numbers: number[]; ending: Ending }> {
  const child = logging(`
    let n = 0;
    await new Promise((resolve) => {
      const turn = () => {
        for (let i = 0; i < 100; i++) log.info({ n: n++ }, "line");
        if (n < ${LINES / 2}) setImmediate(turn);
        else resolve();
      };
      turn();
    });
    while (n < ${LINES}) log.info({ n: n++ }, "line");
    ${end}
  `);
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const ended = await ending(child);
  return { numbers: numbersOf(output), ending: ended };
}

const all = Array.from({ length: LINES }, (_, i) => i);

describe("the default log destination, through a real process", () => {
  it("loses no line, and keeps their order, when the process exits in the turn that logged them", async () => {
    const result = await logThenEnd("process.exit(3);");
    expect(result.ending).toEqual({ code: 3, signal: null });
    expect(result.numbers).toEqual(all);
  });

  it.each(["SIGTERM", "SIGINT"])("loses no line when a %s handler exits, as the services stop", async (signal) => {
    const result = await logThenEnd(
      `process.on("${signal}", () => process.exit(0)); process.kill(process.pid, "${signal}");`,
    );
    expect(result.ending).toEqual({ code: 0, signal: null });
    expect(result.numbers).toEqual(all);
  });

  it("loses no line when an uncaught error ends the process", async () => {
    const result = await logThenEnd(`throw new Error("boom");`);
    expect(result.ending).toEqual({ code: 1, signal: null });
    expect(result.numbers).toEqual(all);
  });

  it("loses no line when the event loop simply runs dry", async () => {
    const result = await logThenEnd("");
    expect(result.ending).toEqual({ code: 0, signal: null });
    expect(result.numbers).toEqual(all);
  });

  it("prints a quiet service's line at once, with its service and ISO time, not when the process ends", async () => {
    const child = logging(`log.info({ n: 0 }, "line"); setInterval(() => undefined, 60_000);`);
    try {
      const [first] = (await once(child.stdout.setEncoding("utf8"), "data")) as [string];
      const line = JSON.parse(first) as { n: number; msg: string; service: string; time: string };
      expect(line).toMatchObject({ n: 0, msg: "line", service: "test" });
      expect(new Date(line.time).toISOString()).toBe(line.time);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("a slow reader gets every line, in order: the writer waits for it", async () => {
    // 20 MB in one turn, then exit: far more than a pipe holds, so the process must wait for its reader.
    const child = logging(`const text = "x".repeat(1000);
for (let n = 0; n < ${LINES}; n++) log.info({ n }, text);
process.exit(0);`);
    let output = "";
    // One chunk per event-loop turn: slower than a writer in a tight loop.
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      child.stdout.pause();
      setImmediate(() => child.stdout.resume());
    });
    expect(await ending(child)).toEqual({ code: 0, signal: null });
    expect(numbersOf(output)).toEqual(all);
  });

  it("a reader that is gone (EPIPE) costs a running process nothing: it goes on and stops when told", async () => {
    const child = logging(`process.on("SIGUSR2", () => {
  for (let n = 1; n <= 100; n++) log.info({ n }, "nobody reads this");
  process.stderr.write("still running\\n");
});
process.on("SIGTERM", () => process.exit(3));
setInterval(() => undefined, 60_000);
log.info({ n: 0 }, "ready");`);
    const ended = ending(child);
    await once(child.stdout, "data");
    child.stdout.destroy(); // the read end closes: the child's next writes get EPIPE
    await once(child.stdout, "close");
    child.kill("SIGUSR2");
    const [said] = (await once(child.stderr.setEncoding("utf8"), "data")) as [string];
    expect(said).toBe("still running\n");
    child.kill("SIGTERM");
    expect(await ended).toEqual({ code: 3, signal: null });
  });

  it("a reader that is gone does not hold the exit when the last lines are the first to meet EPIPE", async () => {
    // An app whose supervisor died: its "stopping" and "stopped" lines and its exit come in one turn.
    // pino.destination({ sync: false }) hangs here for ever: its exit flush retries the broken pipe.
    const child = logging(`process.on("SIGTERM", () => {
  log.info({ n: 1 }, "stopping");
  log.info({ n: 2 }, "stopped");
  process.exit(3);
});
setInterval(() => undefined, 60_000);
log.info({ n: 0 }, "ready");`);
    const ended = ending(child);
    await once(child.stdout, "data");
    child.stdout.destroy();
    await once(child.stdout, "close");
    child.kill("SIGTERM");
    expect(await ended).toEqual({ code: 3, signal: null });
  });
});
