import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "@porthost/testkit";
import { buildWeb } from "../src/index.js";
import { testConfig } from "./test-config.js";

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A TCP server on 127.0.0.1 that counts the connections it gets. */
async function counting(): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return { port: (server.address() as net.AddressInfo).port, connections: () => connections };
}

describe("/api/ports and the knock sequence", () => {
  it("lists the sequence in order and probes the knock app at its vault, never at a knock port", async () => {
    const vault = await counting();
    const knockTcp = await counting();
    const udp = await freePort();
    const web = await buildWeb({
      config: testConfig({
        PORTHOST_VAULT_PORT: String(vault.port),
        PORTHOST_KNOCK_SEQUENCE: `${udp}:udp,${knockTcp.port}:tcp,${vault.port}:udp`,
      }),
    });
    closers.push(() => web.close());
    const reply = await web.app.inject({ url: "/api/ports" });
    const services = reply.json<{ services: { name: string; status: string; sequence?: unknown }[] }>().services;
    const knock = services.find((s) => s.name === "knock");
    expect(knock?.sequence).toEqual([
      { port: udp, transport: "udp" },
      { port: knockTcp.port, transport: "tcp" },
      { port: vault.port, transport: "udp" },
    ]);
    expect(knock?.status).toBe("up");
    expect(services.find((s) => s.name === "vault")?.status).toBe("up");
    expect(vault.connections()).toBeGreaterThan(0);
    // A connection there would have been a knock, and a wrong one resets the knocking address.
    expect(knockTcp.connections()).toBe(0);
  });
});
