import { describe, expect, it } from "vitest";
import { interfaceAddresses, interfaceBroadcasts, ownEndpoint, unsafeSource } from "../src/index.js";

const broadcasts = new Set(["255.255.255.255", "192.168.1.255"]);

describe("unsafeSource", () => {
  it.each([
    ["127.0.0.1", 40000],
    ["192.168.1.20", 1024],
    ["::1", 50000],
    ["::ffff:10.0.0.1", 60000],
    ["2001:db8::1", 5353],
  ])("lets %s port %i get a reply", (address, port) => {
    expect(unsafeSource(address, port, broadcasts)).toBeUndefined();
  });

  it.each([
    ["127.0.0.1", 7, "below 1024"],
    ["127.0.0.1", 19, "below 1024"],
    ["127.0.0.1", 0, "below 1024"],
    ["127.0.0.1", 2049, "NFS"],
    ["255.255.255.255", 40000, "not a host"],
    ["0.0.0.0", 40000, "not a host"],
    ["224.0.0.1", 40000, "multicast"],
    ["239.255.255.250", 40000, "multicast"],
    ["192.168.1.255", 40000, "broadcast"],
    ["::ffff:192.168.1.255", 40000, "broadcast"],
    ["ff02::1", 40000, "multicast"],
    ["::", 40000, "unspecified"],
  ])("refuses %s port %i (%s)", (address, port, why) => {
    expect(unsafeSource(address, port, broadcasts)).toContain(why);
  });
});

describe("interfaceBroadcasts", () => {
  it("computes each IPv4 network's broadcast address", () => {
    const info = { internal: false, mac: "00:00:00:00:00:00", cidr: null };
    const found = interfaceBroadcasts({
      lo: [{ ...info, address: "127.0.0.1", netmask: "255.0.0.0", family: "IPv4", internal: true }],
      eth0: [
        { ...info, address: "10.1.2.3", netmask: "255.255.252.0", family: "IPv4" },
        { ...info, address: "fe80::1", netmask: "ffff:ffff:ffff:ffff::", family: "IPv6", scopeid: 2 },
      ],
      tun0: [{ ...info, address: "10.9.9.9", netmask: "255.255.255.255", family: "IPv4" }],
    });
    expect([...found].sort()).toEqual(["10.1.3.255", "127.255.255.255", "255.255.255.255"]);
  });
});

describe("ownEndpoint", () => {
  const ownPorts = new Set([8007, 8009, 8025]);
  const local = new Set(["::1", "10.1.2.3", "fe80::1"]);

  it.each([
    ["127.0.0.1", 8007],
    ["127.0.0.2", 8009],
    ["::ffff:127.0.0.1", 8025],
    ["::1", 8007],
    ["10.1.2.3", 8007],
    ["::ffff:10.1.2.3", 8009],
    ["fe80::1%eth0", 8007],
  ])("refuses %s port %i: a local address on a port of the table", (address, port) => {
    expect(ownEndpoint(address, port, ownPorts, local)).toContain("porthost's own endpoints");
  });

  it.each([
    ["127.0.0.1", 40000],
    ["10.1.2.4", 8007],
    ["192.0.2.1", 8009],
    ["2001:db8::1", 8025],
  ])("lets %s port %i get a reply", (address, port) => {
    expect(ownEndpoint(address, port, ownPorts, local)).toBeUndefined();
  });
});

describe("interfaceAddresses", () => {
  it("lists every interface address, IPv4-mapped ones as plain IPv4, and ::1", () => {
    const info = { internal: false, mac: "00:00:00:00:00:00", cidr: null };
    const found = interfaceAddresses({
      eth0: [
        { ...info, address: "10.1.2.3", netmask: "255.255.252.0", family: "IPv4" },
        { ...info, address: "FE80::1", netmask: "ffff:ffff:ffff:ffff::", family: "IPv6", scopeid: 2 },
      ],
    });
    expect([...found].sort()).toEqual(["10.1.2.3", "::1", "fe80::1"]);
  });
});
