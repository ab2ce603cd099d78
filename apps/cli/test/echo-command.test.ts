import dgram from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { buildEcho } from "@porthost/echo";
import { readConfig } from "@porthost/ports";
import { tcpRoundTrip, udpRoundTrip } from "@porthost/clients";
import { echoCommand } from "../src/commands/echo.js";
import { portsCommand } from "../src/commands/ports.js";

const config = readConfig({}, "/tmp");
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function startEcho(): Promise<number> {
  const app = buildEcho({
    host: "127.0.0.1",
    echoPort: 0,
    discardPort: 0,
    echo: config.echo,
    discard: config.discard,
  });
  const [tcp] = await app.listen();
  closers.push(() => app.close());
  return tcp!.port;
}

describe("porthost echo", () => {
  it("does a TCP and a UDP round trip, showing both ports", async () => {
    const port = await startEcho();
    const tcp = await tcpRoundTrip("127.0.0.1", port, "hello tcp");
    expect(tcp).toMatchObject({ received: "hello tcp", sent: 9, remote: { port } });
    const udp = await udpRoundTrip("127.0.0.1", port, "hello udp");
    expect(udp).toMatchObject({ received: "hello udp", sent: 9, remote: { port } });
    expect(udp.local.port).toBeGreaterThan(0);
  });

  it("says so when no echo listens on the UDP port", async () => {
    // A port that was just free: the kernel answers "port unreachable".
    const probe = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => probe.bind(0, "127.0.0.1", resolve));
    const port = probe.address().port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const portConfig = readConfig({ PORTHOST_ECHO_ADDR: `127.0.0.1:${port}` }, "/tmp");
    await expect(echoCommand(["hi"], portConfig, false, "udp")).rejects.toThrow(/nothing listens on 127.0.0.1/);
  });

  it("refuses text larger than one echo datagram before sending", async () => {
    const small = readConfig({ PORTHOST_ECHO_MAX_DATAGRAM_BYTES: "4" }, "/tmp");
    await expect(echoCommand(["hello"], small, false, "udp")).rejects.toThrow(/PORTHOST_ECHO_MAX_DATAGRAM_BYTES/);
  });
});

describe("porthost ports", () => {
  it("shows echo and discard as four endpoints, tcp and udp each", () => {
    const lines = portsCommand(config, false).split("\n");
    const endpoint = (service: string, transport: string): string | undefined =>
      lines.find((l) => new RegExp(`^${service}\\s+${transport}\\s`).test(l));
    expect(endpoint("echo", "tcp")).toContain("nc 127.0.0.1 8007");
    expect(endpoint("echo", "udp")).toContain("nc -u 127.0.0.1 8007");
    expect(endpoint("discard", "tcp")).toContain("nc 127.0.0.1 8009");
    expect(endpoint("discard", "udp")).toContain("nc -u 127.0.0.1 8009");
  });
});
