import { describe, expect, it } from "vitest";
import { formatLogLine } from "../src/log-format.js";

const line = (fields: Record<string, unknown>): string =>
  JSON.stringify({ level: 30, time: "2026-12-02T01:02:03.456Z", service: "smtp", ...fields });

describe("formatLogLine (npm start's terminal log)", () => {
  it("a connection: the client's address and ephemeral port, then the port it reached", () => {
    expect(formatLogLine(line({ remote: "::ffff:127.0.0.1", remotePort: 51234, port: 8025, msg: "connection" }))).toBe(
      "01:02:03  smtp   127.0.0.1:51234 -> :8025  connection",
    );
  });

  it("a listening line names its port", () => {
    expect(formatLogLine(line({ port: 8025, transport: "tcp", host: "127.0.0.1", msg: "listening" }))).toBe(
      "01:02:03  smtp   :8025  listening  transport=tcp  host=127.0.0.1",
    );
  });

  it("levels other than info are shown; a line that is not JSON is passed through", () => {
    expect(formatLogLine(line({ level: 40, msg: "slow" }))).toBe("01:02:03  smtp   WARN  slow");
    expect(formatLogLine("plain text")).toBe("plain text");
  });
});
