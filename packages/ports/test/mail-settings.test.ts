import { describe, expect, it } from "vitest";
import { isPortConfigError, MAIL_DEFAULTS, readConfig, parseSmtpUsers, SMTP_DEFAULTS, type Env } from "../src/index.js";

function failure(env: Env): { code: string; variable: string | undefined; message: string } {
  try {
    readConfig(env, "/srv");
  } catch (error) {
    if (!isPortConfigError(error)) throw error;
    return { code: error.code, variable: error.variable, message: error.message };
  }
  throw new Error("readConfig accepted a bad value");
}

describe("smtp and mail settings", () => {
  it("has documented defaults, frozen", () => {
    const config = readConfig({}, "/srv");
    expect(config.smtp).toEqual(SMTP_DEFAULTS);
    expect(SMTP_DEFAULTS).toMatchObject({ maxMessageBytes: 25 * 1024 * 1024, greetingDelayMs: 0, users: [] });
    expect(config.mail).toEqual(MAIL_DEFAULTS);
    expect(MAIL_DEFAULTS.maxMessages).toBe(5000);
    expect(Object.isFrozen(config.smtp)).toBe(true);
    expect(Object.isFrozen(config.mail)).toBe(true);
  });

  it("reads every limit from its variable", () => {
    const config = readConfig(
      {
        PORTHOST_SMTP_MAX_MESSAGE_BYTES: "2048",
        PORTHOST_SMTP_MAX_RECIPIENTS: "3",
        PORTHOST_SMTP_MAX_CONNECTIONS: "7",
        PORTHOST_SMTP_IDLE_TIMEOUT_MS: "1500",
        PORTHOST_SMTP_SESSION_TIMEOUT_MS: "9000",
        PORTHOST_SMTP_MAX_LINE_BYTES: "1000",
        PORTHOST_SMTP_GREETING_DELAY_MS: "100",
        PORTHOST_MAIL_MAX: "12",
      },
      "/srv",
    );
    expect(config.smtp).toMatchObject({
      maxMessageBytes: 2048,
      maxRecipients: 3,
      maxConnections: 7,
      idleTimeoutMs: 1500,
      sessionTimeoutMs: 9000,
      maxLineBytes: 1000,
      greetingDelayMs: 100,
    });
    expect(config.mail.maxMessages).toBe(12);
  });

  it.each([
    ["PORTHOST_SMTP_MAX_MESSAGE_BYTES", "25MB", /not a whole number: use 1024-\d+ bytes/],
    ["PORTHOST_SMTP_MAX_MESSAGE_BYTES", "10", /outside 1024-\d+ bytes/],
    ["PORTHOST_SMTP_MAX_RECIPIENTS", "0", /outside 1-100000 recipients/],
    ["PORTHOST_SMTP_MAX_CONNECTIONS", "-1", /not a whole number/],
    ["PORTHOST_SMTP_IDLE_TIMEOUT_MS", "1.5", /not a whole number: use 100-3600000 ms/],
    ["PORTHOST_SMTP_SESSION_TIMEOUT_MS", "99", /outside 100-86400000 ms/],
    ["PORTHOST_SMTP_MAX_LINE_BYTES", "100", /outside 512-1048576 bytes/],
    ["PORTHOST_SMTP_GREETING_DELAY_MS", "20000", /outside 0-10000 ms/],
    ["PORTHOST_MAIL_MAX", "0", /outside 1-10000000 messages/],
    ["PORTHOST_MAIL_MAX", "lots", /not a whole number/],
  ])("refuses %s=%s in one line naming the variable", (variable, value, pattern) => {
    const { code, variable: named, message } = failure({ [variable]: value });
    expect(code).toBe("PORTHOST_ERR_BAD_VALUE");
    expect(named).toBe(variable);
    expect(message).toMatch(pattern);
    expect(message.startsWith(variable)).toBe(true);
    expect(message).not.toContain("\n");
  });

  it("parses SMTP users, passwords may hold colons", () => {
    expect(parseSmtpUsers("V", "alice:secret, bob:a:b")).toEqual([
      { username: "alice", password: "secret" },
      { username: "bob", password: "a:b" },
    ]);
    expect(readConfig({ PORTHOST_SMTP_USERS: "alice:secret" }, "/srv").smtp.users).toHaveLength(1);
  });

  it.each(["alice", ":secret", "alice:", "alice:x,bob"])("refuses PORTHOST_SMTP_USERS=%s", (value) => {
    const { variable, message } = failure({ PORTHOST_SMTP_USERS: value });
    expect(variable).toBe("PORTHOST_SMTP_USERS");
    expect(message).toMatch(/user:password pairs/);
  });
});
