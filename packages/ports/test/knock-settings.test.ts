import { describe, expect, it } from "vitest";
import { endpoints, isPortConfigError, KNOCK_DEFAULTS, readConfig, type Env } from "../src/index.js";

function configError(env: Env): { variable: string | undefined; message: string } {
  try {
    readConfig(env, "/tmp");
  } catch (error) {
    if (!isPortConfigError(error)) throw error;
    return { variable: error.variable, message: error.message };
  }
  throw new Error("readConfig accepted the environment");
}

describe("knock and vault settings", () => {
  it("puts the vault and a three-knock sequence of UDP and TCP on RFC 4727's experiment numbers + the offset", () => {
    const config = readConfig({}, "/tmp");
    expect(config.services.vault).toMatchObject({ port: 9021, wellKnownPort: 1021, transports: ["tcp"], app: "knock" });
    expect(config.services.knock.sequence).toEqual([
      { port: 9022, transport: "udp" },
      { port: 9022, transport: "tcp" },
      { port: 9021, transport: "udp" },
    ]);
    expect(endpoints(config.services.knock)).toEqual(config.services.knock.sequence);
    expect(config.services.knock).toMatchObject({ port: 9022, transports: ["udp", "tcp"], addr: { port: 9022 } });
    expect(config.knock).toEqual(KNOCK_DEFAULTS);
    expect(KNOCK_DEFAULTS).toMatchObject({ timeoutMs: 10_000, windowMs: 30_000, spaKey: undefined });
  });

  it("moves every knock with the offset, or takes PORTHOST_KNOCK_SEQUENCE as written", () => {
    expect(readConfig({ PORTHOST_PORT_OFFSET: "0" }, "/tmp").services.knock.sequence).toEqual([
      { port: 1022, transport: "udp" },
      { port: 1022, transport: "tcp" },
      { port: 1021, transport: "udp" },
    ]);
    const config = readConfig(
      { PORTHOST_KNOCK_SEQUENCE: "7000:udp, 8000 9000:UDP", PORTHOST_PORT_OFFSET: "0" },
      "/tmp",
    );
    expect(config.services.knock.sequence).toEqual([
      { port: 7000, transport: "udp" },
      { port: 8000, transport: "tcp" },
      { port: 9000, transport: "udp" },
    ]);
    expect(config.services.knock.portSource).toBe("PORTHOST_KNOCK_SEQUENCE");
    expect(readConfig({ PORTHOST_KNOCK_PORT: "0" }, "/tmp").services.knock.sequence?.map((s) => s.port)).toEqual([
      0, 0, 0,
    ]);
  });

  it("reads the timeout, the window and the SPA key", () => {
    const key = "k".repeat(32);
    const config = readConfig(
      { PORTHOST_KNOCK_TIMEOUT_MS: "500", PORTHOST_KNOCK_WINDOW_MS: "2000", PORTHOST_KNOCK_KEY: key },
      "/tmp",
    );
    expect(config.knock).toEqual({ timeoutMs: 500, windowMs: 2000, spaKey: key });
  });

  it.each([
    [{ PORTHOST_KNOCK_SEQUENCE: "9022:sctp,9023" }, "PORTHOST_KNOCK_SEQUENCE", /"9022:sctp".*port:udp or port:tcp/],
    [{ PORTHOST_KNOCK_SEQUENCE: "9022:udp" }, "PORTHOST_KNOCK_SEQUENCE", /1 knock: use 2-16/],
    [{ PORTHOST_KNOCK_SEQUENCE: "9022:udp,9022:udp" }, "PORTHOST_KNOCK_SEQUENCE", /9022\/udp twice/],
    [
      { PORTHOST_KNOCK_SEQUENCE: "9025:tcp,9026:udp", PORTHOST_SMTP_PORT: "9025" },
      "PORTHOST_KNOCK_SEQUENCE",
      /both want 9025\/tcp/,
    ],
    [{ PORTHOST_KNOCK_PORT: "9022" }, "PORTHOST_KNOCK_PORT", /sequence of ports, set PORTHOST_KNOCK_SEQUENCE/],
    [{ PORTHOST_KNOCK_TIMEOUT_MS: "soon" }, "PORTHOST_KNOCK_TIMEOUT_MS", /not a whole number/],
    [{ PORTHOST_KNOCK_WINDOW_MS: "10" }, "PORTHOST_KNOCK_WINDOW_MS", /outside 100-86400000 ms/],
    [{ PORTHOST_KNOCK_KEY: "short" }, "PORTHOST_KNOCK_KEY", /5 characters: use 16-256/],
    [{ PORTHOST_PORT_OFFSET: "64600" }, "PORTHOST_PORT_OFFSET", /past 65535/],
  ])("refuses %j with one line naming %s", (env, variable, message) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain("\n");
  });
});
