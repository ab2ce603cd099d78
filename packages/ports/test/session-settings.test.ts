import { describe, expect, it } from "vitest";
import { isPortConfigError, MAIL_DEFAULTS, readConfig } from "../src/index.js";

describe("PORTHOST_SESSIONS_MAX", () => {
  it("keeps 1000 session records by default, and what it says", () => {
    expect(MAIL_DEFAULTS.maxSessions).toBe(1000);
    expect(readConfig({}, "/srv").mail.maxSessions).toBe(1000);
    expect(readConfig({ PORTHOST_SESSIONS_MAX: "3" }, "/srv").mail.maxSessions).toBe(3);
  });

  it.each([
    ["0", /^PORTHOST_SESSIONS_MAX=0 is outside 1-1000000 sessions$/],
    ["many", /^PORTHOST_SESSIONS_MAX="many" is not a whole number/],
  ])("refuses %s in one line naming the variable", (value, pattern) => {
    let caught: unknown;
    try {
      readConfig({ PORTHOST_SESSIONS_MAX: value }, "/srv");
    } catch (error) {
      caught = error;
    }
    expect(isPortConfigError(caught) && caught.variable).toBe("PORTHOST_SESSIONS_MAX");
    expect((caught as Error).message).toMatch(pattern);
  });
});
