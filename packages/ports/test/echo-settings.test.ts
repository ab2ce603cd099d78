import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  DISCARD_DEFAULTS,
  ECHO_DEFAULTS,
  endpoints,
  isPortConfigError,
  readConfig,
  settleEventsToken,
  type Env,
} from "../src/index.js";

function configError(env: Env): { code: string; variable: string | undefined; message: string } {
  try {
    readConfig(env, "/tmp");
  } catch (error) {
    if (!isPortConfigError(error)) throw error;
    return { code: error.code, variable: error.variable, message: error.message };
  }
  throw new Error("readConfig accepted the environment");
}

describe("echo and discard settings", () => {
  it("has a default for every limit", () => {
    const config = readConfig({}, "/tmp");
    expect(config.echo).toEqual(ECHO_DEFAULTS);
    expect(config.discard).toEqual(DISCARD_DEFAULTS);
    expect(ECHO_DEFAULTS).toMatchObject({ maxConnections: 100, idleTimeoutMs: 30_000, maxDatagramBytes: 1_472 });
    expect(Object.isFrozen(config.echo)).toBe(true);
    expect(Object.isFrozen(config.discard)).toBe(true);
  });

  it("reads each variable", () => {
    const config = readConfig(
      {
        PORTHOST_ECHO_MAX_CONNECTIONS: "5",
        PORTHOST_ECHO_IDLE_TIMEOUT_MS: "1500",
        PORTHOST_ECHO_BUFFER_BYTES: "4096",
        PORTHOST_ECHO_MAX_DATAGRAM_BYTES: "512",
        PORTHOST_ECHO_UDP_RATE: "7",
        PORTHOST_ECHO_UDP_BURST: "3",
        PORTHOST_DISCARD_MAX_CONNECTIONS: "9",
        PORTHOST_DISCARD_IDLE_TIMEOUT_MS: "2500",
      },
      "/tmp",
    );
    expect(config.echo).toEqual({
      maxConnections: 5,
      idleTimeoutMs: 1500,
      bufferBytes: 4096,
      maxDatagramBytes: 512,
      udpRepliesPerSecond: 7,
      udpBurst: 3,
    });
    expect(config.discard).toEqual({ maxConnections: 9, idleTimeoutMs: 2500 });
  });

  it.each([
    ["PORTHOST_ECHO_MAX_CONNECTIONS", "many"],
    ["PORTHOST_ECHO_MAX_CONNECTIONS", "0"],
    ["PORTHOST_ECHO_IDLE_TIMEOUT_MS", "-5"],
    ["PORTHOST_ECHO_IDLE_TIMEOUT_MS", "30s"],
    ["PORTHOST_ECHO_IDLE_TIMEOUT_MS", "99"],
    ["PORTHOST_ECHO_BUFFER_BYTES", "1.5"],
    ["PORTHOST_ECHO_BUFFER_BYTES", "99999999999"],
    ["PORTHOST_ECHO_MAX_DATAGRAM_BYTES", "65508"],
    ["PORTHOST_ECHO_MAX_DATAGRAM_BYTES", "0"],
    ["PORTHOST_ECHO_UDP_RATE", "0"],
    ["PORTHOST_ECHO_UDP_BURST", "lots"],
    ["PORTHOST_DISCARD_MAX_CONNECTIONS", "1e3"],
    ["PORTHOST_DISCARD_IDLE_TIMEOUT_MS", "0x10"],
  ])("stops on %s=%s with one line naming the variable", (variable, value) => {
    const error = configError({ [variable]: value });
    expect(error.code).toBe("PORTHOST_ERR_BAD_VALUE");
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
    expect(error.message).not.toContain("\n");
  });
});

describe("events settings", () => {
  it("is disabled without a token", () => {
    expect(readConfig({}, "/tmp").events.token).toBeUndefined();
    expect(readConfig({ PORTHOST_EVENTS_TOKEN: "  " }, "/tmp").events.token).toBeUndefined();
  });

  it("reads a token", () => {
    const token = "0123456789abcdef0123";
    expect(readConfig({ PORTHOST_EVENTS_TOKEN: token }, "/tmp").events.token).toBe(token);
  });

  it.each(["short", "has a space in the middle ok", "tab\tinside-0123456789", "x".repeat(257), "é0123456789abcdefgh"])(
    "refuses the token %j",
    (token) => {
      const error = configError({ PORTHOST_EVENTS_TOKEN: token });
      expect(error.code).toBe("PORTHOST_ERR_BAD_VALUE");
      expect(error.variable).toBe("PORTHOST_EVENTS_TOKEN");
      expect(error.message).not.toContain(token);
    },
  );
});

describe("the events token file (PORTHOST_EVENTS_TOKEN_FILE)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "porthost-token-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("is created by the receiver, owner-only, and then read by senders", async () => {
    const env = { PORTHOST_EVENTS_TOKEN_FILE: "events-token" };
    const sender = readConfig(env, dir).events;
    expect(sender).toEqual({ token: undefined, tokenFile: path.join(dir, "events-token") });
    expect(settleEventsToken(sender, { create: false }).token).toBeUndefined();
    await expect(stat(path.join(dir, "events-token"))).rejects.toThrow(/ENOENT/);

    const receiver = settleEventsToken(sender, { create: true });
    expect(receiver.token).toMatch(/^[0-9a-f]{48}$/);
    expect((await stat(path.join(dir, "events-token"))).mode & 0o777).toBe(0o600);
    expect(settleEventsToken(sender, { create: false }).token).toBe(receiver.token);
    expect(settleEventsToken(sender, { create: true }).token).toBe(receiver.token);
  });

  it("gives way to PORTHOST_EVENTS_TOKEN and never overwrites a file", async () => {
    const token = "0123456789abcdef0123";
    await writeFile(path.join(dir, "t"), "kept-token-0123456789\n");
    const both = readConfig({ PORTHOST_EVENTS_TOKEN: token, PORTHOST_EVENTS_TOKEN_FILE: "t" }, dir).events;
    expect(settleEventsToken(both, { create: true }).token).toBe(token);
    const fileOnly = readConfig({ PORTHOST_EVENTS_TOKEN_FILE: "t" }, dir).events;
    expect(settleEventsToken(fileOnly, { create: true }).token).toBe("kept-token-0123456789");
    expect(await readFile(path.join(dir, "t"), "utf8")).toBe("kept-token-0123456789\n");
  });

  it("refuses a file with a bad token, or one that cannot be made, in one line naming the variable", async () => {
    await writeFile(path.join(dir, "bad"), "short\n");
    const bad = readConfig({ PORTHOST_EVENTS_TOKEN_FILE: "bad" }, dir).events;
    expect(() => settleEventsToken(bad, { create: false })).toThrow(
      expect.objectContaining({
        variable: "PORTHOST_EVENTS_TOKEN_FILE",
        message: expect.stringMatching(/^[^\n]*5 characters/),
      }),
    );
    const nowhere = readConfig({ PORTHOST_EVENTS_TOKEN_FILE: "missing-dir/t" }, dir).events;
    expect(() => settleEventsToken(nowhere, { create: true })).toThrow(
      expect.objectContaining({
        variable: "PORTHOST_EVENTS_TOKEN_FILE",
        message: expect.stringContaining("cannot be created (ENOENT)"),
      }),
    );
  });
});

describe("the echo and discard endpoints", () => {
  it("serves echo and discard over tcp and udp on one number each", () => {
    const config = readConfig({}, "/tmp");
    expect(endpoints(config.services.echo)).toEqual([
      { port: 8007, transport: "tcp" },
      { port: 8007, transport: "udp" },
    ]);
    expect(endpoints(config.services.discard)).toEqual([
      { port: 8009, transport: "tcp" },
      { port: 8009, transport: "udp" },
    ]);
    expect(config.services.discard.implemented).toBe(true);
  });

  it("refuses echo and discard on one port, naming the variable", () => {
    const error = configError({ PORTHOST_DISCARD_PORT: "8007" });
    expect(error.code).toBe("PORTHOST_ERR_PORT_CONFLICT");
    expect(error.variable).toBe("PORTHOST_DISCARD_PORT");
  });
});
