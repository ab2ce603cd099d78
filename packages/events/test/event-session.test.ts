import { describe, expect, it } from "vitest";
import { Value } from "typebox/value";
import { ConnectionEventSchema, connectionEvent } from "../src/index.js";

const ends = { localPort: 8025, remoteAddress: "127.0.0.1", remotePort: 51234 };
const tally = { startedAt: Date.now(), bytesIn: 50, bytesOut: 40, outcome: "ok" as const };

describe("a connection event's session", () => {
  it("names the SMTP or POP3 session on record, and is left out when there is none", () => {
    const linked = connectionEvent("smtp", "tcp", ends, { ...tally, session: "0123456789abcdef" });
    expect(linked.session).toBe("0123456789abcdef");
    expect(Value.Check(ConnectionEventSchema, linked)).toBe(true);
    const plain = connectionEvent("echo", "tcp", ends, tally);
    expect(JSON.parse(JSON.stringify(plain))).not.toHaveProperty("session");
    expect(Value.Check(ConnectionEventSchema, plain)).toBe(true);
  });

  it("refuses an id that is not a session id", () => {
    const event = connectionEvent("smtp", "tcp", ends, { ...tally, session: "../../etc/passwd" });
    expect(Value.Check(ConnectionEventSchema, event)).toBe(false);
  });
});
