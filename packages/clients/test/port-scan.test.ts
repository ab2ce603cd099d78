import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSelfConnect, probeTcpPort, scanTcp } from "../src/index.js";

const servers: net.Server[] = [];
let openPorts: number[];
let closedPort: number;

async function listen(): Promise<net.Server> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}
const portOf = (server: net.Server): number => (server.address() as net.AddressInfo).port;

beforeAll(async () => {
  servers.push(await listen(), await listen());
  openPorts = servers.map(portOf);
  const closed = await listen();
  closedPort = portOf(closed);
  await new Promise((resolve) => closed.close(resolve));
});
afterAll(() => {
  for (const server of servers) server.close();
});

describe("TCP connect scan", () => {
  it("open: the handshake completes, and the ephemeral port this side used is known", async () => {
    const probe = await probeTcpPort("127.0.0.1", openPorts[0]!);
    expect(probe.state).toBe("open");
    expect(probe.localPort).toBeGreaterThan(0);
    expect(probe.localPort).not.toBe(openPorts[0]);
  });

  it("closed: nothing listens, so the kernel answers with a reset", async () => {
    expect((await probeTcpPort("127.0.0.1", closedPort)).state).toBe("closed");
  });

  it("scans a list with few workers, in port order, each port once", async () => {
    const ports = [closedPort, ...openPorts].sort((a, b) => b - a);
    const results = await scanTcp("127.0.0.1", ports, { concurrency: 2 });
    expect(results.map((r) => r.port)).toEqual([...ports].sort((a, b) => a - b));
    const state = Object.fromEntries(results.map((r) => [r.port, r.state]));
    expect(state).toEqual({ [openPorts[0]!]: "open", [openPorts[1]!]: "open", [closedPort]: "closed" });
  });

  it("open: a server that accepts and resets at once still listens (ECONNRESET is not a refusal)", async () => {
    const resetting = net.createServer((socket) => socket.resetAndDestroy());
    await new Promise<void>((resolve) => resetting.listen(0, "127.0.0.1", resolve));
    const port = (resetting.address() as net.AddressInfo).port;
    try {
      // Many probes: the reset often wins the race with node's connect callback.
      const probes = await Promise.all(Array.from({ length: 30 }, () => probeTcpPort("127.0.0.1", port)));
      expect(new Set(probes.map((p) => p.state))).toEqual(new Set(["open"]));
    } finally {
      resetting.close();
    }
  });

  it("an empty list is an empty scan", async () => {
    expect(await scanTcp("127.0.0.1", [])).toEqual([]);
  });
});

describe("self-connect (TCP simultaneous open)", () => {
  it("a socket connected from port P to P on the same address is itself, not a server", async () => {
    // The kernel would pick P as an ephemeral port by chance; binding it makes the effect certain.
    const socket = net.connect({
      host: "127.0.0.1",
      port: closedPort,
      localAddress: "127.0.0.1",
      localPort: closedPort,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    expect(isSelfConnect(socket)).toBe(true);
    socket.destroy();
  });

  it("an ordinary connection to a listener is not a self-connect", async () => {
    const socket = net.connect({ host: "127.0.0.1", port: openPorts[0]! });
    await new Promise((resolve) => socket.once("connect", resolve));
    expect(isSelfConnect(socket)).toBe(false);
    socket.destroy();
  });
});
