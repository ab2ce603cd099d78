import { describe, expect, it } from "vitest";
import { Value } from "typebox/value";
import {
  ConnectionEventSchema,
  PORT_CHECK_DETAIL,
  connectionEvent,
  httpOutcome,
  outcomeWord,
  type EventTally,
} from "../src/index.js";

const ends = { localPort: 8110, remoteAddress: "127.0.0.1", remotePort: 51234 };
const reset: EventTally = { startedAt: Date.now(), bytesIn: 0, bytesOut: 63, outcome: "error", detail: "ECONNRESET" };

describe("port checks", () => {
  it("marks a TCP client that sent nothing and left, even with a reset, as a port check, not an error", () => {
    const event = connectionEvent("pop3", "tcp", ends, reset);
    expect(event).toMatchObject({ probe: true, outcome: "ok", detail: PORT_CHECK_DETAIL, bytesOut: 63 });
    expect(Value.Check(ConnectionEventSchema, event)).toBe(true);
    expect(outcomeWord(event)).toBe("port check");
  });

  it("leaves a client that spoke, a server's timeout or limit, and UDP as they were", () => {
    expect(connectionEvent("pop3", "tcp", ends, { ...reset, bytesIn: 6 })).toMatchObject({ outcome: "error" });
    expect(connectionEvent("pop3", "tcp", ends, { ...reset, outcome: "timeout" }).probe).toBeUndefined();
    expect(connectionEvent("echo", "tcp", ends, { ...reset, outcome: "limited" }).probe).toBeUndefined();
    expect(connectionEvent("echo", "udp", ends, { ...reset, outcome: "ok" }).probe).toBeUndefined();
  });
});

describe("outcome words", () => {
  it("names an HTTP request by its status: 404 is not found, not refused", () => {
    const event = connectionEvent("http", "tcp", ends, {
      startedAt: Date.now(),
      bytesIn: 80,
      bytesOut: 200,
      outcome: httpOutcome(404),
      status: 404,
    });
    expect(event.status).toBe(404);
    expect(outcomeWord(event)).toBe("not found");
    expect(outcomeWord({ ...event, status: 200, outcome: httpOutcome(200) })).toBe("ok");
    expect(outcomeWord({ ...event, status: 599, outcome: httpOutcome(599) })).toBe("server error");
    expect(httpOutcome(429)).toBe("limited");
  });

  it("says each mail protocol's refusal in its own words", () => {
    expect(outcomeWord({ service: "smtp", outcome: "refused" })).toBe("mail rejected");
    expect(outcomeWord({ service: "pop3", outcome: "refused" })).toBe("login refused");
    expect(outcomeWord({ service: "echo", outcome: "timeout" })).toBe("timed out");
  });
});
