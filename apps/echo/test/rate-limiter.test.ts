import { describe, expect, it } from "vitest";
import { createRateLimiter } from "../src/index.js";

describe("createRateLimiter", () => {
  it("allows a burst, then the rate", () => {
    let now = 0;
    const allow = createRateLimiter({ perSecond: 2, burst: 3, now: () => now });
    expect([1, 2, 3, 4].map(() => allow("a"))).toEqual([true, true, true, false]);
    now += 499;
    expect(allow("a")).toBe(false);
    now += 1;
    expect(allow("a")).toBe(true);
    expect(allow("a")).toBe(false);
    now += 60_000;
    // Refill stops at the burst.
    expect([1, 2, 3, 4].map(() => allow("a"))).toEqual([true, true, true, false]);
  });

  it("keeps one bucket per source", () => {
    const allow = createRateLimiter({ perSecond: 1, burst: 1, now: () => 0 });
    expect(allow("a")).toBe(true);
    expect(allow("a")).toBe(false);
    expect(allow("b")).toBe(true);
  });

  it("remembers at most maxSources, forgetting the least recently seen", () => {
    const allow = createRateLimiter({ perSecond: 1, burst: 1, maxSources: 2, now: () => 0 });
    allow("a");
    allow("b");
    allow("a");
    allow("c"); // forgets b, the least recently seen
    expect(allow("a")).toBe(false);
    expect(allow("b")).toBe(true);
  });
});
