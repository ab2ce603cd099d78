import { describe, expect, it } from "vitest";
import { Value } from "typebox/value";
import { ConnectionEventSchema, EventBatchSchema, MAX_BATCH_EVENTS, type ConnectionEvent } from "../src/index.js";

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

/** Where the schema finds the first thing wrong, as fastify's validator reports it (a JSON pointer). */
function firstProblem(schema: typeof ConnectionEventSchema | typeof EventBatchSchema, value: unknown): string {
  const [error] = Value.Errors(schema, value);
  return error ? `${error.instancePath} ${error.message}` : "none";
}

describe("ConnectionEventSchema", () => {
  it("accepts a well-formed event, with or without detail", () => {
    expect(Value.Check(ConnectionEventSchema, good)).toBe(true);
    expect(Value.Check(ConnectionEventSchema, { ...good, outcome: "limited", detail: "connection limit 100" })).toBe(
      true,
    );
    expect(Value.Check(ConnectionEventSchema, { ...good, remoteAddress: "::1", transport: "udp" })).toBe(true);
  });

  it("accepts the TLS a connection ran under", () => {
    const tls = { version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", mode: "starttls" };
    expect(Value.Check(ConnectionEventSchema, { ...good, tls })).toBe(true);
    expect(Value.Check(ConnectionEventSchema, { ...good, tls: { ...tls, mode: "implicit" } })).toBe(true);
  });

  it.each([
    ["not an object", "hello", ""],
    ["an array", [good], ""],
    ["null", null, ""],
    ["a bad time", { ...good, time: "yesterday" }, "/time"],
    ["a local time", { ...good, time: "2026-01-02T03:04:05" }, "/time"],
    ["a day no month has", { ...good, time: "2026-02-30T03:04:05Z" }, "/time"],
    ["an unknown service shape", { ...good, service: "<script>" }, "/service"],
    ["a long service name", { ...good, service: "s".repeat(33) }, "/service"],
    ["an unknown transport", { ...good, transport: "sctp" }, "/transport"],
    ["a port past 65535", { ...good, localPort: 70000 }, "/localPort"],
    ["a fractional port", { ...good, remotePort: 1.5 }, "/remotePort"],
    ["a host name for an address", { ...good, remoteAddress: "localhost" }, "/remoteAddress"],
    ["negative bytes", { ...good, bytesIn: -1 }, "/bytesIn"],
    ["absurd bytes", { ...good, bytesOut: 2 ** 51 }, "/bytesOut"],
    ["string bytes", { ...good, bytesOut: "5" }, "/bytesOut"],
    ["a negative duration", { ...good, durationMs: -1 }, "/durationMs"],
    ["an unknown outcome", { ...good, outcome: "great" }, "/outcome"],
    ["a huge detail", { ...good, detail: "x".repeat(201) }, "/detail"],
    ["an extra field", { ...good, extra: 1 }, "/extra"],
    ["a missing field", (({ outcome: _, ...rest }) => rest)(good), ""],
    ["an unknown TLS mode", { ...good, tls: { version: "TLSv1.3", cipher: "x", mode: "opportunistic" } }, "/tls/mode"],
    ["TLS without a cipher", { ...good, tls: { version: "TLSv1.3", mode: "implicit" } }, "/tls"],
    [
      "a huge TLS version",
      { ...good, tls: { version: "v".repeat(65), cipher: "x", mode: "implicit" } },
      "/tls/version",
    ],
  ])("refuses %s, pointing at the field", (_what, value, field) => {
    expect(Value.Check(ConnectionEventSchema, value)).toBe(false);
    expect(firstProblem(ConnectionEventSchema, value)).toMatch(new RegExp(`^${field} `));
  });
});

describe("EventBatchSchema", () => {
  it("accepts { events: [...] }, empty too", () => {
    expect(Value.Check(EventBatchSchema, { events: [good, good] })).toBe(true);
    expect(Value.Check(EventBatchSchema, { events: [] })).toBe(true);
  });

  it("refuses other shapes, points at the bad event, and caps the batch", () => {
    expect(Value.Check(EventBatchSchema, [good])).toBe(false);
    expect(Value.Check(EventBatchSchema, { events: "x" })).toBe(false);
    expect(Value.Check(EventBatchSchema, { events: [], more: [] })).toBe(false);
    expect(firstProblem(EventBatchSchema, { events: [good, { ...good, localPort: -1 }] })).toMatch(
      /^\/events\/1\/localPort /,
    );
    expect(Value.Check(EventBatchSchema, { events: Array.from({ length: MAX_BATCH_EVENTS }, () => good) })).toBe(true);
    expect(Value.Check(EventBatchSchema, { events: Array.from({ length: MAX_BATCH_EVENTS + 1 }, () => good) })).toBe(
      false,
    );
  });
});
