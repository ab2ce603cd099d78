import net from "node:net";
import { describe, expect, it } from "vitest";
import { readConfig, isPortConfigError } from "@porthost/ports";
import { buildEcho } from "../src/index.js";
import { later, startEcho } from "./helpers.js";

describe("buildEcho", () => {
  it("binds four endpoints, echo and discard each on one number over tcp and udp", async () => {
    const { app, echoTcp, echoUdp, discardTcp, discardUdp } = await startEcho();
    expect([echoTcp, echoUdp, discardTcp, discardUdp].map((e) => [e.service, e.transport])).toEqual([
      ["echo", "tcp"],
      ["echo", "udp"],
      ["discard", "tcp"],
      ["discard", "udp"],
    ]);
    expect(echoUdp.port).toBe(echoTcp.port);
    expect(discardUdp.port).toBe(discardTcp.port);
    await app.close();
    await app.close();
  });

  it("reports a taken port as a one-line error naming the variable, and frees what it bound", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    later(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const taken = (blocker.address() as net.AddressInfo).port;
    const config = readConfig({}, "/tmp");
    const app = buildEcho({
      host: "127.0.0.1",
      echoPort: 0,
      discardPort: taken,
      echo: config.echo,
      discard: config.discard,
    });
    const error: unknown = await app.listen().catch((e: unknown) => e);
    expect(isPortConfigError(error) && error.code).toBe("PORTHOST_ERR_ADDR_IN_USE");
    expect(isPortConfigError(error) && error.variable).toBe("PORTHOST_DISCARD_PORT");
    expect(app.echoTcp.server.listening).toBe(false);
  });
});
