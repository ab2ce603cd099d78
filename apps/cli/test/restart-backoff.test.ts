import { SUPERVISOR_DEFAULTS } from "@porthost/ports";
import { describe, expect, it } from "vitest";
import { RestartBackoff } from "../src/supervisor/restart-backoff.js";

describe("RestartBackoff", () => {
  it("waits 1 s, then doubles up to 30 s while the app keeps failing", () => {
    const backoff = new RestartBackoff(SUPERVISOR_DEFAULTS);
    const delays = Array.from({ length: 8 }, () => backoff.next(0));
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    expect(backoff.count).toBe(8);
  });

  it("starts again from 1 s once the app served a healthy minute, and not before", () => {
    const backoff = new RestartBackoff(SUPERVISOR_DEFAULTS);
    backoff.next(0);
    backoff.next(5_000);
    expect(backoff.next(59_999)).toBe(4_000);
    expect(backoff.next(60_000)).toBe(1_000);
    expect(backoff.next(10)).toBe(2_000);
    expect(backoff.count).toBe(5);
  });
});
