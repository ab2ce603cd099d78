import { describe, expect, it } from "vitest";
import { LineReader } from "../src/index.js";

describe("LineReader", () => {
  it("splits on CRLF or LF across chunks", () => {
    const reader = new LineReader(300);
    expect(reader.push(Buffer.from("US"))).toEqual([]);
    expect(reader.push(Buffer.from("ER a\r"))).toEqual([]);
    expect(reader.push(Buffer.from("\nSTAT\nNOOP\r\n"))).toEqual([
      { line: "USER a" },
      { line: "STAT" },
      { line: "NOOP" },
    ]);
  });

  it("counts the CRLF in the limit and answers an over-long line once, as soon as it is over", () => {
    const reader = new LineReader(10);
    expect(reader.push(Buffer.from("12345678\r\n"))).toEqual([{ line: "12345678" }]);
    expect(reader.push(Buffer.from("123456789\r\n"))).toEqual([{ tooLong: true }]);
    expect(reader.push(Buffer.from("1234567890"))).toEqual([{ tooLong: true }]);
    expect(reader.push(Buffer.alloc(100_000, 65))).toEqual([]);
    expect(reader.push(Buffer.from("rest\r\nNOOP\r\n"))).toEqual([{ line: "NOOP" }]);
  });

  it("forgets a partial line on reset (STLS)", () => {
    const reader = new LineReader(100);
    reader.push(Buffer.from("USER inj"));
    reader.reset();
    expect(reader.push(Buffer.from("CAPA\r\n"))).toEqual([{ line: "CAPA" }]);
  });
});
