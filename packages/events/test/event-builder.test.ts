import net from "node:net";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { Value } from "typebox/value";
import {
  ConnectionEventSchema,
  MAX_DETAIL_CHARS,
  connectionEvent,
  normalizeAddress,
  socketEndpoints,
  socketTls,
  type Endpoints,
  type EventTally,
} from "../src/index.js";

const ends: Endpoints = { localPort: 8007, remoteAddress: "127.0.0.1", remotePort: 51234 };
const tally: EventTally = {
  startedAt: Date.parse("2026-01-02T03:04:05.678Z"),
  durationMs: 0.1234567,
  bytesIn: 5,
  bytesOut: 4,
  outcome: "ok",
};

describe("normalizeAddress", () => {
  it.each([
    ["::ffff:127.0.0.1", "127.0.0.1"],
    ["::ffff:10.1.2.3", "10.1.2.3"],
    ["127.0.0.1", "127.0.0.1"],
    ["::1", "::1"],
    ["2001:db8::ffff:1", "2001:db8::ffff:1"],
    ["::ffff:1:2", "::ffff:1:2"],
    ["fe80::1%eth0", "fe80::1"],
    ["", "0.0.0.0"],
    [undefined, "0.0.0.0"],
  ])("%s reads as %s", (address, expected) => {
    expect(normalizeAddress(address)).toBe(expected);
  });
});

describe("connectionEvent", () => {
  it("makes an event the schema accepts, with the time in ISO 8601 and the duration to the microsecond", () => {
    const event = connectionEvent("echo", "udp", ends, tally);
    expect(event).toEqual({
      ...ends,
      service: "echo",
      transport: "udp",
      time: "2026-01-02T03:04:05.678Z",
      durationMs: 0.123,
      bytesIn: 5,
      bytesOut: 4,
      outcome: "ok",
    });
    expect(Value.Check(ConnectionEventSchema, event)).toBe(true);
  });

  it("normalises the client's address and fills ends nobody knows with zeros", () => {
    expect(connectionEvent("echo", "tcp", { remoteAddress: "::ffff:192.0.2.7" }, tally)).toMatchObject({
      localPort: 0,
      remoteAddress: "192.0.2.7",
      remotePort: 0,
    });
    expect(connectionEvent("echo", "tcp", {}, tally).remoteAddress).toBe("0.0.0.0");
  });

  it("cuts a long detail to what the schema allows and marks the cut", () => {
    const event = connectionEvent("http", "tcp", ends, {
      ...tally,
      outcome: "refused",
      detail: `GET /${"a".repeat(500)} 404`,
    });
    expect(event.detail).toHaveLength(MAX_DETAIL_CHARS);
    expect(event.detail?.endsWith("…")).toBe(true);
    expect(Value.Check(ConnectionEventSchema, event)).toBe(true);
    expect(connectionEvent("http", "tcp", ends, { ...tally, detail: "short" }).detail).toBe("short");
  });

  it("carries the TLS a connection ran under, read from a TLS socket", () => {
    const session = { getProtocol: () => "TLSv1.3", getCipher: () => ({ name: "TLS_AES_256_GCM_SHA384" }) };
    const tls = socketTls(session, "implicit");
    expect(tls).toEqual({ version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", mode: "implicit" });
    const event = connectionEvent("smtp", "tcp", ends, { ...tally, tls });
    expect(event.tls).toEqual(tls);
    expect(Value.Check(ConnectionEventSchema, event)).toBe(true);
    expect(connectionEvent("smtp", "tcp", ends, tally).tls).toBeUndefined();
  });

  it("measures from startedAt to now when no duration is given, never below zero", () => {
    const { durationMs: _given, ...untimed } = tally;
    expect(
      connectionEvent("smtp", "tcp", ends, { ...untimed, startedAt: Date.now() - 50 }).durationMs,
    ).toBeGreaterThanOrEqual(50);
    // A wall clock stepped back: the event says no time passed rather than less than none.
    expect(connectionEvent("smtp", "tcp", ends, { ...untimed, startedAt: Date.now() + 60_000 }).durationMs).toBe(0);
  });
});

describe("socketEndpoints", () => {
  it("reads both ends of a real connection; an IPv4 client of a dual-stack server reads as IPv4", async () => {
    const server = net.createServer();
    server.listen(0, "::");
    await once(server, "listening");
    const accepted = once(server, "connection") as Promise<[net.Socket]>;
    const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
    const [socket] = await accepted;
    try {
      const endpoints = socketEndpoints(socket);
      expect(endpoints).toEqual({
        localPort: (server.address() as net.AddressInfo).port,
        remoteAddress: "::ffff:127.0.0.1",
        remotePort: client.localPort,
      });
      const event = connectionEvent("echo", "tcp", endpoints, tally);
      expect(event.remoteAddress).toBe("127.0.0.1");
      expect(event.remotePort).toBe(client.localPort);
    } finally {
      client.destroy();
      socket.destroy();
      server.close();
    }
  });
});
