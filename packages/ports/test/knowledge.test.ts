import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  describeName,
  describePort,
  readConfig,
  parseEphemeralRange,
  parseServicesDatabase,
  rangeClass,
  readEphemeralRange,
} from "../src/index.js";

const dir = mkdtempSync(path.join(tmpdir(), "porthost-ports-"));
const servicesFile = path.join(dir, "services");
writeFileSync(
  servicesFile,
  [
    "# a comment",
    "echo\t\t7/tcp",
    "echo\t\t7/udp",
    "smtp\t\t25/tcp\t\tmail",
    "https\t\t443/tcp\t\t# http over TLS",
    "garbage line",
    "",
  ].join("\n"),
);
const rangeFile = path.join(dir, "ip_local_port_range");
writeFileSync(rangeFile, "32768\t60999\n");
const options = { servicesFile, ephemeralRangeFile: rangeFile };
const config = readConfig({}, "/");

describe("rangeClass", () => {
  it.each([
    [0, "system"],
    [25, "system"],
    [1023, "system"],
    [1024, "user"],
    [8080, "user"],
    [49151, "user"],
    [49152, "dynamic"],
    [65535, "dynamic"],
  ] as const)("%i is %s", (port, cls) => {
    expect(rangeClass(port)).toBe(cls);
  });

  it("refuses what is not a port", () => {
    expect(() => rangeClass(65536)).toThrow(RangeError);
    expect(() => rangeClass(-1)).toThrow(RangeError);
    expect(() => rangeClass(1.5)).toThrow(RangeError);
  });
});

describe("services database", () => {
  it("parses names, ports, transports, aliases and comments, skipping junk", () => {
    const entries = parseServicesDatabase("smtp 25/tcp mail # SMTP\nbad\n# x\nfoo 99999/tcp\n");
    expect(entries).toEqual([{ name: "smtp", port: 25, transport: "tcp", aliases: ["mail"], comment: "SMTP" }]);
  });
});

describe("ephemeral range", () => {
  it("parses Linux's ip_local_port_range", () => {
    expect(parseEphemeralRange("32768\t60999\n")).toEqual({ low: 32768, high: 60999 });
    expect(parseEphemeralRange("nonsense")).toBeUndefined();
    expect(parseEphemeralRange("60999 32768")).toBeUndefined();
  });

  it("is undefined where the file does not exist", () => {
    expect(readEphemeralRange(path.join(dir, "missing"))).toBeUndefined();
  });
});

describe("describePort", () => {
  it("knows 443: https, system range, porthost's https, not ephemeral", () => {
    const facts = describePort(443, config, options);
    expect(facts.rangeClass).toBe("system");
    expect(facts.wellKnown.map((a) => a.name)).toEqual(["https"]);
    expect(facts.servicesDatabase.map((e) => e.name)).toEqual(["https"]);
    expect(facts.porthost).toEqual([{ service: "https", transports: ["tcp"], as: "well-known", implemented: true }]);
    expect(facts.ephemeral).toEqual({ range: { low: 32768, high: 60999 }, contains: false });
  });

  it("knows 51000: dynamic range, inside this machine's ephemeral range, nobody's port", () => {
    const facts = describePort(51000, config, options);
    expect(facts.rangeClass).toBe("dynamic");
    expect(facts.wellKnown).toEqual([]);
    expect(facts.porthost).toEqual([]);
    expect(facts.ephemeral?.contains).toBe(true);
  });

  it("knows which porthost service listens on 8025", () => {
    const facts = describePort(8025, config, options);
    expect(facts.rangeClass).toBe("user");
    expect(facts.porthost).toEqual([{ service: "smtp", transports: ["tcp"], as: "listens", implemented: true }]);
  });

  it("names both doors of one number: 9021/tcp is the vault, 9021/udp the third knock", () => {
    expect(describePort(9021, config, options).porthost).toEqual([
      { service: "vault", transports: ["tcp"], as: "listens", implemented: true },
      { service: "knock", transports: ["udp"], as: "listens", implemented: true, knocks: [3], sequenceLength: 3 },
    ]);
    expect(describePort(9022, config, options).porthost).toEqual([
      { service: "knock", transports: ["udp", "tcp"], as: "listens", implemented: true, knocks: [1, 2], sequenceLength: 3 },
    ]);
  });

  it("knows the seeds' first assignments", () => {
    expect(describePort(7, config, options).wellKnown[0]?.name).toBe("echo");
    expect(describePort(1, config, options).wellKnown[0]?.description).toContain("RFC 349");
  });
});

describe("describeName", () => {
  it("finds porthost's smtp with its resolved address", () => {
    const facts = describeName("SMTP", config, options);
    expect(facts.porthost?.wellKnownPort).toBe(25);
    expect(facts.porthost?.addr).toEqual({ host: "127.0.0.1", port: 8025 });
    expect(facts.servicesDatabase.map((e) => e.port)).toEqual([25]);
  });

  it("finds names by alias in the services database", () => {
    expect(describeName("mail", config, options).servicesDatabase.map((e) => e.name)).toEqual(["smtp"]);
  });

  it("finds nothing for an unknown name", () => {
    const facts = describeName("nosuch", config, options);
    expect(facts.porthost).toBeUndefined();
    expect(facts.wellKnown).toEqual([]);
    expect(facts.servicesDatabase).toEqual([]);
  });
});
