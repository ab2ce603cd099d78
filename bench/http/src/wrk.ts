import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface WrkResult {
  readonly rps: number;
  readonly p50: string;
  readonly p99: string;
  /** Every request wrk made, the warm-up's included: what the server should have logged. */
  readonly requests: number;
}

/** A 2 s warm-up (JIT, caches), then `seconds` of wrk with one thread; any non-2xx answer is an error. */
export async function wrk(url: string, connections: number, seconds: number): Promise<WrkResult> {
  const warmUp = await run("wrk", ["-t1", "-c10", "-d2s", url]);
  const { stdout } = await run("wrk", ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", url]);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1];
  if (errors !== undefined) throw new Error(`${url} answered ${errors} errors:\n${stdout}`);
  const made = (out: string): number => Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]),
    p50: /50%\s+([\d.]+\w+)/.exec(stdout)?.[1] ?? "?",
    p99: /99%\s+([\d.]+\w+)/.exec(stdout)?.[1] ?? "?",
    requests: made(warmUp.stdout) + made(stdout),
  };
}

/** Fails with how to install a tool the benchmark needs. */
export async function need(tool: string, aptPackage = tool): Promise<void> {
  await run("sh", ["-c", `command -v ${tool}`]).catch(() => {
    throw new Error(`bench:http needs ${tool}: apt-get install -y ${aptPackage}`);
  });
}
