import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { cleanEnvironment } from "@porthost/ports";
import { tempDir } from "@porthost/testkit";

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const REQUESTS = 300;

interface Line {
  readonly msg?: string;
  readonly port?: number;
  readonly url?: string;
}

const cleanups: (() => Promise<void>)[] = [];
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** The real web process at its default log level, its stdout a pipe; resolves once it listens. */
async function startWeb(): Promise<{ port: number; lines: Line[]; exited: Promise<number | null> }> {
  const { dir, remove } = await tempDir("porthost-web-main-");
  cleanups.push(remove);
  const started = spawn(process.execPath, [MAIN], {
    env: cleanEnvironment({
      PORTHOST_HOST: "127.0.0.1",
      PORTHOST_HTTP_PORT: "0",
      PORTHOST_HTTPS_PORT: "0",
      PORTHOST_DATA_DIR: dir,
    }),
    stdio: ["ignore", "pipe", "inherit"],
  });
  child = started;
  const lines: Line[] = [];
  const exited = new Promise<number | null>((resolve) => started.once("close", (code) => resolve(code)));
  let rest = "";
  const port = await new Promise<number>((resolve, reject) => {
    started.once("exit", (code) => reject(new Error(`web exited with ${code}`)));
    started.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      const text = rest + chunk;
      const end = text.lastIndexOf("\n") + 1;
      rest = text.slice(end);
      for (const line of text
        .slice(0, end)
        .split("\n")
        .filter((l) => l !== "")) {
        const entry = JSON.parse(line) as Line;
        lines.push(entry);
        if (entry.msg === "listening" && entry.port) resolve(entry.port);
      }
    });
  });
  return { port, lines, exited };
}

describe("the web process's request log", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`has every request's line when ${signal} stops it straight after a burst`, async () => {
      const web = await startWeb();
      const urls = Array.from({ length: REQUESTS }, (_, i) => `/ports.html?n=${i}`);
      // Ten keep-alive streams of requests at once, the last answered just before the signal.
      await Promise.all(
        Array.from({ length: 10 }, async (_, stream) => {
          for (let i = stream; i < REQUESTS; i += 10) {
            const response = await fetch(`http://127.0.0.1:${web.port}${urls[i]}`);
            await response.arrayBuffer();
          }
        }),
      );
      child!.kill(signal);
      expect(await web.exited).toBe(0);
      const logged = web.lines.filter((l) => l.msg === "request").map((l) => l.url);
      expect(logged.sort()).toEqual([...urls].sort());
      expect(web.lines.at(-1)?.msg).toBe("stopped");
    });
  }
});
