import { once } from "node:events";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { asIs, forwardLines } from "../src/line-forwarder.js";

/** Feeds chunks one event-loop turn apart into forwardLines and returns each write it made. */
async function forwarded(chunks: readonly (string | Buffer)[], format: (line: string) => string): Promise<string[]> {
  const input = new PassThrough();
  const writes: string[] = [];
  forwardLines(input, { write: (text: string) => writes.push(text) }, format);
  for (const chunk of chunks) {
    input.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
  }
  input.end();
  await once(input, "end");
  return writes;
}

describe("forwardLines (an app's log, through the supervisor)", () => {
  it("writes every complete line of a read at once, formatted, and holds a torn line until its end", async () => {
    const writes = await forwarded(["a\nb\nc", "c\nd", "d\n"], (line) => `<${line}>`);
    expect(writes).toEqual(["<a>\n<b>\n", "<cc>\n", "<dd>\n"]);
  });

  it("sends a last line that has no newline when the app's output ends", async () => {
    expect(await forwarded(["one\ntwo"], asIs)).toEqual(["one\n", "two\n"]);
  });

  it("keeps a character whose bytes are split across two reads whole", async () => {
    const bytes = Buffer.from("日本\n");
    expect(await forwarded([bytes.subarray(0, 2), bytes.subarray(2)], asIs)).toEqual(["日本\n"]);
  });

  it("one write for a thousand lines that came in one read", async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i}`);
    const writes = await forwarded([`${lines.join("\n")}\n`], (line) => line.toUpperCase());
    expect(writes).toEqual([`${lines.map((l) => l.toUpperCase()).join("\n")}\n`]);
  });
});
