import { describe, expect, it } from "vitest";
import { encodeMessage, WireEncoder } from "../src/index.js";

function inChunks(message: Buffer, size: number, options: ConstructorParameters<typeof WireEncoder>[0]): Buffer {
  const encoder = new WireEncoder(options);
  const out: Buffer[] = [];
  for (let i = 0; i < message.length && !encoder.done; i += size) {
    out.push(...encoder.push(message.subarray(i, i + size)));
  }
  out.push(...encoder.finish());
  return Buffer.concat(out);
}

const SAMPLE = Buffer.from("Subject: s\r\n\r\n.a\r\nb\n.\n..c\r\r\nlast\r", "latin1");

describe("WireEncoder", () => {
  it("leaves a CRLF message as it is, but for the stuffing dots", () => {
    const message = Buffer.from("A: 1\r\n\r\nx\r\n.y\r\n.\r\n");
    expect(encodeMessage(message, { stuff: false }).equals(message)).toBe(true);
    expect(encodeMessage(message, { stuff: true }).toString()).toBe("A: 1\r\n\r\nx\r\n..y\r\n..\r\n");
  });

  it("gives bare LF its CR and ends an unfinished last line; a lone CR inside a line stays", () => {
    expect(encodeMessage(SAMPLE, { stuff: true }).toString("latin1")).toBe(
      "Subject: s\r\n\r\n..a\r\nb\r\n..\r\n...c\r\r\nlast\r\n",
    );
    expect(encodeMessage(Buffer.from("a\rb"), { stuff: false }).toString()).toBe("a\rb\r\n");
    expect(encodeMessage(Buffer.alloc(0), { stuff: true }).length).toBe(0);
  });

  it("gives the same bytes however the file is cut into chunks", () => {
    for (const options of [{ stuff: true }, { stuff: false }, { stuff: true, bodyLines: 2 }]) {
      const whole = inChunks(SAMPLE, SAMPLE.length, options);
      for (let size = 1; size < SAMPLE.length; size++) {
        expect(inChunks(SAMPLE, size, options).toString("latin1"), `chunks of ${size}`).toBe(whole.toString("latin1"));
      }
    }
  });

  it("TOP: headers, the blank line, then n body lines", () => {
    const top = (n: number) => encodeMessage(SAMPLE, { stuff: true, bodyLines: n }).toString("latin1");
    expect(top(0)).toBe("Subject: s\r\n\r\n");
    expect(top(1)).toBe("Subject: s\r\n\r\n..a\r\n");
    expect(top(3)).toBe("Subject: s\r\n\r\n..a\r\nb\r\n..\r\n");
    expect(top(100)).toBe(encodeMessage(SAMPLE, { stuff: true }).toString("latin1"));
    const headersOnly = Buffer.from("A: 1\r\nB: 2");
    expect(encodeMessage(headersOnly, { stuff: true, bodyLines: 0 }).toString()).toBe("A: 1\r\nB: 2\r\n");
  });
});
