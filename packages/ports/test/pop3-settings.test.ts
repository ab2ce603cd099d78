import { describe, expect, it } from "vitest";
import { isPortConfigError, POP3_DEFAULTS, readConfig, type Env } from "../src/index.js";

function failure(env: Env): { variable: string | undefined; message: string } {
  try {
    readConfig(env, "/srv");
  } catch (error) {
    if (!isPortConfigError(error)) throw error;
    return { variable: error.variable, message: error.message };
  }
  throw new Error("readConfig accepted a bad value");
}

describe("pop3 settings", () => {
  it("defaults to one shared maildrop, any login, no STLS, on 110 + offset", () => {
    const config = readConfig({}, "/srv");
    expect(config.pop3).toEqual(POP3_DEFAULTS);
    expect(POP3_DEFAULTS).toMatchObject({ mailbox: "shared", users: [], idleTimeoutMs: 600_000 });
    expect(Object.isFrozen(config.pop3)).toBe(true);
    expect(config.services.pop3).toMatchObject({ port: 8110, implemented: true });
    expect(readConfig({ PORTHOST_PORT_OFFSET: "0" }).services.pop3.port).toBe(110);
  });

  it("reads every setting from its variable, TLS files shared with SMTP", () => {
    const config = readConfig(
      {
        PORTHOST_POP3_MAILBOX: "recipient",
        PORTHOST_POP3_USERS: "bob@example.test:pw:with:colons, ann@example.test:x",
        PORTHOST_POP3_MAX_CONNECTIONS: "3",
        PORTHOST_POP3_IDLE_TIMEOUT_MS: "1500",
        PORTHOST_POP3_MAX_LINE_BYTES: "300",
      },
      "/srv",
    );
    expect(config.pop3).toEqual({
      mailbox: "recipient",
      users: [
        { username: "bob@example.test", password: "pw:with:colons" },
        { username: "ann@example.test", password: "x" },
      ],
      maxConnections: 3,
      idleTimeoutMs: 1500,
      maxLineBytes: 300,
    });
  });

  it.each([
    [{ PORTHOST_POP3_MAILBOX: "per-user" }, "PORTHOST_POP3_MAILBOX", /not one of shared, recipient/],
    [{ PORTHOST_POP3_USERS: "alice" }, "PORTHOST_POP3_USERS", /user:password pairs/],
    [
      { PORTHOST_POP3_MAILBOX: "recipient", PORTHOST_POP3_USERS: "alice:secret" },
      "PORTHOST_POP3_USERS",
      /needs addresses/,
    ],
    [{ PORTHOST_POP3_MAX_CONNECTIONS: "0" }, "PORTHOST_POP3_MAX_CONNECTIONS", /outside 1-100000/],
    [{ PORTHOST_POP3_IDLE_TIMEOUT_MS: "soon" }, "PORTHOST_POP3_IDLE_TIMEOUT_MS", /not a whole number/],
    [{ PORTHOST_POP3_MAX_LINE_BYTES: "100" }, "PORTHOST_POP3_MAX_LINE_BYTES", /outside 255-65536/],
    [{ PORTHOST_TLS_CERT: "cert.pem" }, "PORTHOST_TLS_KEY", /needs both PORTHOST_TLS_CERT and PORTHOST_TLS_KEY/],
    [{ PORTHOST_POP3_PORT: "8025" }, "PORTHOST_POP3_PORT", /pop3 and smtp both want 8025\/tcp/],
  ])("refuses %o with one line naming %s", (env, variable, message) => {
    const error = failure(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain("\n");
  });
});
