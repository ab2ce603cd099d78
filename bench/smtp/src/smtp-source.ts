import { spawn } from "node:child_process";
import { requireTool } from "@porthost/testkit";

export interface SourceRun {
  /** Parallel sessions (-s). */
  readonly sessions: number;
  /** Keep each connection for many messages (-d); otherwise one connection per message. */
  readonly reuse: boolean;
  readonly messages: number;
}

/** The payload of each message (-l): 2 KB as the issue sets. */
export const MESSAGE_BYTES = 2048;

/** Runs postfix's smtp-source against 127.0.0.1:port; resolves with messages per second. */
export async function smtpSource(port: number, run: SourceRun): Promise<number> {
  const tool = requireTool("smtp-source");
  const args = [
    ...(run.reuse ? ["-d"] : []),
    "-s",
    String(run.sessions),
    "-m",
    String(run.messages),
    "-l",
    String(MESSAGE_BYTES),
    "-f",
    "bench@example.test",
    "-t",
    "sink@example.test",
    "-M",
    "bench.example.test",
    `127.0.0.1:${port}`,
  ];
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 && stderr.trim() === ""
        ? resolve()
        : reject(new Error(`smtp-source failed (${code}): ${stderr.trim()}`)),
    );
  });
  return run.messages / ((performance.now() - started) / 1000);
}
