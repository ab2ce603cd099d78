import { describe, expect, it } from "vitest";
import { isoTime } from "../src/index.js";

describe("isoTime", () => {
  it("writes what Date#toISOString writes, across seconds, days, years and fractions", () => {
    const start = Date.UTC(2026, 11, 31, 23, 59, 58, 990);
    const times = [0, -1, -1000.5, 1.9, Date.UTC(1969, 11, 31, 23, 59, 59, 999), Date.UTC(275760, 0, 1), start];
    for (let step = 0; step < 3000; step++) times.push(start + step * 0.7);
    for (let step = 0; step < 200; step++) times.push(Math.random() * 4e12 - 1e12);
    for (const ms of times) expect(isoTime(ms), String(ms)).toBe(new Date(ms).toISOString());
  });
});
