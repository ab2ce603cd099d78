import { describe, expect, it } from "vitest";
import { isPortConfigError, readConfig, parseAddress, PortConfigError, type Env } from "../src/index.js";

function configError(env: Env): PortConfigError {
  try {
    readConfig(env, "/srv");
  } catch (error) {
    if (isPortConfigError(error)) return error;
    throw error;
  }
  throw new Error("readConfig accepted a bad environment");
}

describe("readConfig", () => {
  it("puts each service at its well-known port + 8000 on 127.0.0.1 by default", () => {
    const config = readConfig({}, "/srv");
    expect(config.host).toBe("127.0.0.1");
    expect(config.portOffset).toBe(8000);
    expect(config.services.http.port).toBe(8080);
    expect(config.services.smtp.port).toBe(8025);
    expect(config.services.echo.port).toBe(8007);
    expect(config.services.pop3.port).toBe(8110);
    expect(config.services.https.port).toBe(8443);
    expect(config.services.smtp.addr).toEqual({ host: "127.0.0.1", port: 8025 });
    expect(config.dataDir).toBe("/srv/data");
  });

  it("binds the well-known ports with offset 0, as inside a container", () => {
    const config = readConfig(
      { PORTHOST_PORT_OFFSET: "0", PORTHOST_HOST: "0.0.0.0", PORTHOST_DATA_DIR: "/data" },
      "/srv",
    );
    expect(config.services.http.port).toBe(80);
    expect(config.services.smtp.port).toBe(25);
    expect(config.services.echo.port).toBe(7);
    expect(config.dataDir).toBe("/data");
    // A wildcard bind address is not a place to connect to: clients use loopback.
    expect(config.services.smtp.addr).toEqual({ host: "127.0.0.1", port: 25 });
  });

  it("takes one service's port and a client address from their variables", () => {
    const config = readConfig(
      { PORTHOST_SMTP_PORT: "2525", PORTHOST_SMTP_ADDR: "smtp:25", PORTHOST_HTTP_ADDR: "[::1]:9000" },
      "/",
    );
    expect(config.services.smtp.port).toBe(2525);
    expect(config.services.smtp.portSource).toBe("PORTHOST_SMTP_PORT");
    expect(config.services.smtp.addr).toEqual({ host: "smtp", port: 25 });
    expect(config.services.http.addr).toEqual({ host: "::1", port: 9000 });
    expect(config.services.echo.addr).toEqual({ host: "127.0.0.1", port: 8007 });
  });

  it("allows port 0 for every service (the system picks, as tests do)", () => {
    const config = readConfig({ PORTHOST_HTTP_PORT: "0", PORTHOST_SMTP_PORT: "0", PORTHOST_ECHO_PORT: "0" }, "/");
    expect(config.services.http.port).toBe(0);
    expect(config.services.smtp.port).toBe(0);
  });

  it("returns a frozen object", () => {
    const config = readConfig({}, "/");
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.services)).toBe(true);
    expect(Object.isFrozen(config.services.smtp)).toBe(true);
  });

  it.each([
    ["PORTHOST_SMTP_PORT", "abc", "PORTHOST_ERR_NOT_A_PORT"],
    ["PORTHOST_SMTP_PORT", "-1", "PORTHOST_ERR_NOT_A_PORT"],
    ["PORTHOST_SMTP_PORT", "25.5", "PORTHOST_ERR_NOT_A_PORT"],
    ["PORTHOST_SMTP_PORT", "0x19", "PORTHOST_ERR_NOT_A_PORT"],
    ["PORTHOST_SMTP_PORT", "65536", "PORTHOST_ERR_PORT_RANGE"],
    ["PORTHOST_HTTP_PORT", "99999999999999999999", "PORTHOST_ERR_PORT_RANGE"],
    ["PORTHOST_PORT_OFFSET", "eight", "PORTHOST_ERR_NOT_A_PORT"],
    ["PORTHOST_PORT_OFFSET", "65500", "PORTHOST_ERR_PORT_RANGE"],
    ["PORTHOST_HOST", "not a host!", "PORTHOST_ERR_BAD_HOST"],
    ["PORTHOST_SMTP_ADDR", "smtp", "PORTHOST_ERR_BAD_ADDR"],
    ["PORTHOST_SMTP_ADDR", "smtp:abc", "PORTHOST_ERR_NOT_A_PORT"],
    ["PORTHOST_SMTP_ADDR", "smtp:0", "PORTHOST_ERR_BAD_ADDR"],
    ["PORTHOST_LOG_LEVEL", "loud", "PORTHOST_ERR_BAD_VALUE"],
  ])("%s=%s stops start-up with one line naming the variable", (variable, value, code) => {
    const error = configError({ [variable]: value });
    expect(error.code).toBe(code);
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
    expect(error.message).not.toContain("\n");
  });

  it("names the value it refused", () => {
    expect(configError({ PORTHOST_SMTP_PORT: "abc" }).message).toContain('"abc"');
    expect(configError({ PORTHOST_SMTP_PORT: "70000" }).message).toContain("70000");
  });

  it("refuses two services on one port and transport", () => {
    const error = configError({ PORTHOST_SMTP_PORT: "8080" });
    expect(error.code).toBe("PORTHOST_ERR_PORT_CONFLICT");
    expect(error.message).toMatch(/smtp and http|http and smtp/);
    expect(error.message).toContain("8080/tcp");
  });

  it("treats an empty variable as unset", () => {
    expect(readConfig({ PORTHOST_SMTP_PORT: "", PORTHOST_HOST: " " }, "/").services.smtp.port).toBe(8025);
  });
});

describe("parseAddress", () => {
  it("reads host:port and [v6]:port", () => {
    expect(parseAddress("X", "localhost:25")).toEqual({ host: "localhost", port: 25 });
    expect(parseAddress("X", "[::1]:7")).toEqual({ host: "::1", port: 7 });
    expect(parseAddress("X", "10.0.0.2:110")).toEqual({ host: "10.0.0.2", port: 110 });
  });
});

describe("HTTP limits", () => {
  it("have defaults with units", () => {
    expect(readConfig({}, "/").http).toEqual({
      maxBodyBytes: 1_048_576,
      maxHeaderBytes: 16_384,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 1024,
      maxStreams: 100,
      streamHeartbeatMs: 15_000,
      streamIdleMs: 600_000,
      streamLifetimeMs: 3_600_000,
      allowedHosts: [],
    });
    expect(readConfig({}, "/").connections).toEqual({ maxPerAddress: 128 });
  });

  it("read the allowed host names as a lower-case list", () => {
    const env = { PORTHOST_HTTP_ALLOWED_HOSTS: " Porthost.LAN, .example.test ,,*" };
    expect(readConfig(env, "/").http.allowedHosts).toEqual(["porthost.lan", ".example.test", "*"]);
  });

  it("read the per-address connection cap", () => {
    expect(readConfig({ PORTHOST_MAX_CONNECTIONS_PER_ADDRESS: "3" }, "/").connections.maxPerAddress).toBe(3);
  });

  it("read their variables", () => {
    const http = readConfig({ PORTHOST_HTTP_MAX_BODY_BYTES: "10", PORTHOST_HTTP_MAX_CONNECTIONS: "2" }, "/").http;
    expect(http.maxBodyBytes).toBe(10);
    expect(http.maxConnections).toBe(2);
  });

  it.each([
    ["PORTHOST_HTTP_MAX_BODY_BYTES", "1MB"],
    ["PORTHOST_HTTP_HEADERS_TIMEOUT_MS", "5"],
    ["PORTHOST_HTTP_MAX_CONNECTIONS", "0"],
    ["PORTHOST_HTTP_MAX_HEADER_BYTES", "-1"],
    ["PORTHOST_HTTP_MAX_STREAMS", "0"],
    ["PORTHOST_HTTP_STREAM_LIFETIME_MS", "soon"],
    ["PORTHOST_HTTP_ALLOWED_HOSTS", "evil.example:8080"],
    ["PORTHOST_HTTP_ALLOWED_HOSTS", "http://evil.example"],
    ["PORTHOST_MAX_CONNECTIONS_PER_ADDRESS", "0"],
  ])("%s=%s is refused with one line naming it", (variable, value) => {
    const error = configError({ [variable]: value });
    expect(error.code).toBe("PORTHOST_ERR_BAD_VALUE");
    expect(error.message.startsWith(`${variable}=`)).toBe(true);
  });
});
