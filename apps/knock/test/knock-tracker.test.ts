import { describe, expect, it } from "vitest";
import type { KnockStep } from "@porthost/ports";
import { createKnockTracker } from "../src/index.js";

const SEQUENCE: KnockStep[] = [
  { port: 9022, transport: "udp" },
  { port: 9022, transport: "tcp" },
  { port: 9021, transport: "udp" },
];

describe("the knock tracker", () => {
  it("remembers at most maxAddresses, forgetting the least recently seen", () => {
    let now = 0;
    const tracker = createKnockTracker({
      sequence: SEQUENCE,
      timeoutMs: 10_000,
      windowMs: 30_000,
      maxAddresses: 100,
      now: () => now,
    });
    for (let i = 0; i < 5_000; i++) tracker.knock(`10.0.${i >> 8}.${i & 255}`, SEQUENCE[0]!);
    expect(tracker.sizes().progress).toBe(100);
    for (let i = 0; i < 5_000; i++) tracker.open(`10.1.${i >> 8}.${i & 255}`);
    expect(tracker.sizes().windows).toBe(100);
    // The newest are still there, the oldest forgotten.
    expect(tracker.progress("10.0.19.135")).toBe(1);
    expect(tracker.progress("10.0.0.0")).toBe(0);
    // Stale entries leave as the tracker is used.
    now += 60_000;
    for (let i = 0; i < 100; i++) tracker.knock("192.0.2.1", SEQUENCE[1]!);
    expect(tracker.sizes()).toEqual({ progress: 0, windows: 0 });
  });

  it("counts an IPv4-mapped IPv6 address as the IPv4 address it is", () => {
    const tracker = createKnockTracker({ sequence: SEQUENCE, timeoutMs: 10_000, windowMs: 30_000 });
    tracker.knock("::ffff:127.0.0.1", SEQUENCE[0]!);
    tracker.knock("127.0.0.1", SEQUENCE[1]!);
    expect(tracker.knock("::ffff:127.0.0.1", SEQUENCE[2]!)).toMatchObject({ kind: "open" });
    expect(tracker.windowLeft("127.0.0.1")).toBeGreaterThan(0);
  });
});
