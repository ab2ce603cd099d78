import type { Readable } from "node:stream";

/** Where forwarded lines go: the supervisor's stdout, which node writes synchronously to a pipe, file or terminal. */
export interface LineSink {
  write(text: string): unknown;
}

/**
 * Forwards an app's log (its stdout) a chunk at a time: every complete line in what one read
 * brought is formatted and the lot goes out in one write, so a busy app's thousand lines cost
 * one system call, not a thousand; a line split across reads waits for its end, so lines from
 * several apps never tear into each other. A last line without its newline is sent at the end.
 */
export function forwardLines(input: Readable, sink: LineSink, format: (line: string) => string): void {
  let partial = "";
  const formatted = (lines: string): string => {
    if (format === asIs) return `${lines}\n`;
    let out = "";
    for (const line of lines.split("\n")) out += `${format(line)}\n`;
    return out;
  };
  input.setEncoding("utf8");
  input.on("data", (chunk: string) => {
    const end = chunk.lastIndexOf("\n");
    if (end === -1) {
      partial += chunk;
      return;
    }
    const lines = partial + chunk.slice(0, end);
    partial = chunk.slice(end + 1);
    sink.write(formatted(lines));
  });
  input.on("end", () => {
    if (partial !== "") sink.write(formatted(partial));
    partial = "";
  });
}

/** The format that leaves a line as it is (`porthost start --json`). */
export const asIs = (line: string): string => line;
