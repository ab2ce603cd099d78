import { describe, expect, it } from "vitest";
import {
  isConnectionEvent,
  MAX_BATCH_EVENTS,
  validateConnectionEvent,
  validateEventBatch,
  type ConnectionEvent,
} from "../src/index.js";

const good: ConnectionEvent = {
  time: "2026-01-02T03:04:05.678Z",
  service: "echo",
  transport: "tcp",
  localPort: 8007,
  remoteAddress: "127.0.0.1",
  remotePort: 51234,
  bytesIn: 5,
  bytesOut: 5,
  durationMs: 1.25,
  outcome: "ok",
};

describe("validateConnectionEvent", () => {
  it("accepts a well-formed event, with or without detail", () => {
    expect(validateConnectionEvent(good)).toEqual({ ok: true, value: good });
    expect(isConnectionEvent({ ...good, outcome: "limited", detail: "connection limit 100" })).toBe(true);
    expect(isConnectionEvent({ ...good, remoteAddress: "::ffff:127.0.0.1", transport: "udp" })).toBe(true);
  });

  it.each([
    ["not an object", "hello", "object"],
    ["an array", [good], "object"],
    ["null", null, "object"],
    ["a bad time", { ...good, time: "yesterday" }, "time"],
    ["a local time", { ...good, time: "2026-01-02T03:04:05" }, "time"],
    ["an unknown service shape", { ...good, service: "<script>" }, "service"],
    ["an unknown transport", { ...good, transport: "sctp" }, "transport"],
    ["a port past 65535", { ...good, localPort: 70000 }, "localPort"],
    ["a fractional port", { ...good, remotePort: 1.5 }, "remotePort"],
    ["a host name for an address", { ...good, remoteAddress: "localhost" }, "remoteAddress"],
    ["negative bytes", { ...good, bytesIn: -1 }, "bytesIn"],
    ["string bytes", { ...good, bytesOut: "5" }, "bytesOut"],
    ["NaN duration", { ...good, durationMs: Number.NaN }, "durationMs"],
    ["an unknown outcome", { ...good, outcome: "great" }, "outcome"],
    ["a huge detail", { ...good, detail: "x".repeat(201) }, "detail"],
    ["an extra field", { ...good, extra: 1 }, "extra"],
  ])("refuses %s, naming the field", (_what, value, field) => {
    const result = validateConnectionEvent(value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(field);
  });
});

describe("validateEventBatch", () => {
  it("accepts { events: [...] }", () => {
    expect(validateEventBatch({ events: [good, good] })).toEqual({ ok: true, value: { events: [good, good] } });
    expect(validateEventBatch({ events: [] }).ok).toBe(true);
  });

  it("refuses other shapes, names the bad event, and caps the batch", () => {
    expect(validateEventBatch([good]).ok).toBe(false);
    expect(validateEventBatch({ events: "x" }).ok).toBe(false);
    const bad = validateEventBatch({ events: [good, { ...good, localPort: -1 }] });
    expect(bad).toEqual({ ok: false, error: expect.stringContaining("events[1]") as unknown });
    expect(validateEventBatch({ events: Array.from({ length: MAX_BATCH_EVENTS + 1 }, () => good) }).ok).toBe(false);
  });
});
