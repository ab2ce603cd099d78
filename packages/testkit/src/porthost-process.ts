import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { cleanEnvironment } from "@porthost/ports";

/**
 * A bound for failure, not a wait: five node processes start at once, and CI runs every
 * package's tests beside them on 2 cores (smtp and pop3 took over 20 s there).
 */
export const START_TIMEOUT_MS = 90_000; // 90 s

/** Resolves with everything a stream printed once it matches pattern; rejects with what it saw. */
export function waitForOutput(stream: NodeJS.ReadableStream, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        stream.off("data", onData);
        resolve(seen);
      }
    };
    const timer = setTimeout(() => {
      stream.off("data", onData);
      reject(new Error(`no ${String(pattern)} within ${timeoutMs} ms; saw:\n${seen}`));
    }, timeoutMs);
    stream.on("data", onData);
  });
}

export interface TableRow {
  readonly service: string;
  readonly transport: "tcp" | "udp";
  readonly port: number;
}

/** Reads the service/transport/port rows of the table `porthost start` prints. */
export function parseStartTable(output: string): TableRow[] {
  return [...output.matchAll(/^([a-z][a-z0-9-]*)\s+(tcp|udp)\s+(\d+)\s/gm)].map((m) => ({
    service: m[1]!,
    transport: m[2] as "tcp" | "udp",
    port: Number(m[3]),
  }));
}

export interface RunningPorthost {
  readonly process: ChildProcess;
  readonly rows: readonly TableRow[];
  /** What it printed up to its table's last line. */
  readonly output: string;
  /** The port of a service on a transport (tcp by default). */
  port(service: string, transport?: "tcp" | "udp"): number;
  /** Ctrl-C, and the exit code. */
  stop(): Promise<number | null>;
}

/** Runs `porthost start` (the CLI at binPath) and waits for its table (at most startTimeoutMs). */
export async function startPorthost(
  binPath: string,
  env: Record<string, string>,
  startTimeoutMs = START_TIMEOUT_MS,
): Promise<RunningPorthost> {
  const child = spawn(process.execPath, [binPath, "start"], {
    env: cleanEnvironment(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  let output: string;
  try {
    output = await waitForOutput(child.stdout!, /Press Ctrl-C to stop/, startTimeoutMs);
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`porthost start did not come up: ${(error as Error).message}\nstderr:\n${stderr}`, {
      cause: error,
    });
  }
  child.stdout!.resume();
  const rows = parseStartTable(output);
  return {
    process: child,
    rows,
    output,
    port(service, transport = "tcp") {
      const row = rows.find((r) => r.service === service && r.transport === transport);
      if (!row) throw new Error(`porthost start printed no ${service}/${transport} row:\n${output}`);
      return row.port;
    },
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill("SIGINT");
      const [code] = (await once(child, "exit")) as [number | null];
      return code;
    },
  };
}
