import dgram from "node:dgram";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { isPortConfigError } from "@porthost/ports";
import { bindUdp, listenTcp } from "../src/index.js";

describe("listenTcp", () => {
  it("resolves with the real port when asked for port 0", async () => {
    const server = net.createServer();
    const endpoint = await listenTcp(server, { service: "echo", transport: "tcp", host: "127.0.0.1", port: 0 });
    expect(endpoint.port).toBe((server.address() as net.AddressInfo).port);
    expect(endpoint).toMatchObject({ service: "echo", transport: "tcp", host: "127.0.0.1" });
    server.close();
  });

  it("rejects a taken port with a one-line PortConfigError naming the service", async () => {
    const holder = net.createServer();
    const { port } = await listenTcp(holder, { service: "http", transport: "tcp", host: "127.0.0.1", port: 0 });
    const error = await listenTcp(net.createServer(), {
      service: "smtp",
      transport: "tcp",
      host: "127.0.0.1",
      port,
    }).catch((e: unknown) => e);
    holder.close();
    expect(isPortConfigError(error) && error.code).toBe("PORTHOST_ERR_ADDR_IN_USE");
    expect((error as Error).message).toContain(`${port}/tcp (smtp)`);
  });
});

describe("bindUdp", () => {
  it("binds port 0 and rejects a taken UDP port the same way", async () => {
    const holder = dgram.createSocket("udp4");
    const { port } = await bindUdp(holder, { service: "echo", transport: "udp", host: "127.0.0.1", port: 0 });
    expect(port).toBeGreaterThan(0);
    const error = await bindUdp(dgram.createSocket("udp4"), {
      service: "echo",
      transport: "udp",
      host: "127.0.0.1",
      port,
    }).catch((e: unknown) => e);
    holder.close();
    expect(isPortConfigError(error) && error.message).toContain(`${port}/udp (echo)`);
  });
});
