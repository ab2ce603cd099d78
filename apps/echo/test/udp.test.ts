import dgram from "node:dgram";
import { describe, expect, it } from "vitest";
import { createLogger } from "@porthost/log";
import { later, startEcho, udpClient, until } from "./helpers.js";

describe("echo over UDP", () => {
  it("answers one datagram with one datagram to its sender", async () => {
    const { echoUdp, events } = await startEcho();
    const client = await udpClient();
    await client.send("ping 1", echoUdp.port);
    await client.send("ping 2", echoUdp.port);
    await until(() => client.received.length === 2, "two replies");
    expect(client.received.map((r) => r.data.toString()).sort()).toEqual(["ping 1", "ping 2"]);
    expect(client.received[0]?.from.port).toBe(echoUdp.port);
    await until(() => events.length === 2, "two events");
    expect(events[0]).toMatchObject({
      service: "echo",
      transport: "udp",
      localPort: echoUdp.port,
      remoteAddress: "127.0.0.1",
      remotePort: client.port,
      bytesIn: 6,
      bytesOut: 6,
      outcome: "ok",
    });
  });

  it("does not answer a datagram over the maximum size", async () => {
    const { app, echoUdp, events } = await startEcho({ echo: { maxDatagramBytes: 100 } });
    const client = await udpClient();
    await client.send(Buffer.alloc(101, 0x62), echoUdp.port);
    await client.send(Buffer.alloc(100, 0x61), echoUdp.port);
    await until(() => events.length === 2, "both datagrams handled");
    await until(() => client.received.length === 1, "the reply to the small one");
    expect(client.received[0]?.data.length).toBe(100);
    expect(app.stats().echoUdp).toEqual({ replied: 1, limited: 1 });
    expect(events.find((e) => e.bytesIn === 101)).toMatchObject({
      outcome: "limited",
      bytesOut: 0,
      detail: "datagram of 101 bytes is over 100",
    });
  });

  it("limits replies per source address to a burst, then a rate", async () => {
    const { echoUdp, events } = await startEcho({ echo: { udpRepliesPerSecond: 1, udpBurst: 3 } });
    const client = await udpClient();
    const other = await udpClient();
    for (let n = 0; n < 10; n++) await client.send(`ping ${n}`, echoUdp.port);
    // Another port on the same address shares the bucket: forged floods pick any port.
    await other.send("from another port", echoUdp.port);
    await until(() => events.length === 11, "every datagram handled");
    await until(() => client.received.length === 3, "the burst of replies");
    expect(other.received).toHaveLength(0);
    const limited = events.filter((e) => e.outcome === "limited");
    expect(limited).toHaveLength(8);
    expect(limited[0]?.detail).toBe("over 1 replies per second");
  });

  it("logs unanswered datagrams at most once a second, counting the rest", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      service: "echo",
      destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    const { echoUdp, events } = await startEcho({ echo: { udpRepliesPerSecond: 1, udpBurst: 1 }, logger });
    const client = await udpClient();
    for (let n = 0; n < 20; n++) await client.send(`flood ${n}`, echoUdp.port);
    await until(() => events.length === 20, "every datagram handled");
    const unanswered = lines.filter((l) => l.msg === "echo datagram not answered");
    expect(unanswered).toHaveLength(1);
    expect(unanswered[0]).toMatchObject({
      outcome: "limited",
      remotePort: client.port,
      detail: "over 1 replies per second",
    });
  });

  it("never answers a source port below 1024 (as root, a client may bind one)", async (context) => {
    if (process.getuid?.() !== 0) context.skip("binding a port below 1024 needs root");
    const { echoUdp, events } = await startEcho();
    const privileged = dgram.createSocket("udp4");
    later(() => new Promise<void>((resolve) => privileged.close(() => resolve())));
    const received: Buffer[] = [];
    privileged.on("message", (data) => received.push(data));
    let bound = 0;
    for (let port = 1023; port > 600 && bound === 0; port--) {
      bound = await new Promise<number>((resolve) => {
        privileged.once("error", () => resolve(0));
        privileged.bind(port, "127.0.0.1", () => resolve(port));
      });
    }
    expect(bound).toBeGreaterThan(0);
    privileged.send("spoofed chargen", echoUdp.port, "127.0.0.1");
    const client = await udpClient();
    await client.send("after", echoUdp.port);
    await until(() => events.length === 2 && client.received.length === 1, "both datagrams handled");
    expect(received).toHaveLength(0);
    expect(events.find((e) => e.remotePort === bound)).toMatchObject({
      outcome: "limited",
      detail: `source port ${bound} is below 1024`,
    });
  });

  it("never answers a datagram from one of porthost's own endpoints, and keeps the sender's bucket full", async () => {
    const own = await udpClient();
    const { echoUdp, events } = await startEcho({ ownPorts: [own.port], echo: { udpBurst: 1 } });
    await own.send("as if from another porthost service", echoUdp.port);
    await own.send("again", echoUdp.port);
    await until(() => events.length === 2, "both datagrams handled");
    expect(events[0]).toMatchObject({
      outcome: "limited",
      detail: `source 127.0.0.1 port ${own.port} is one of porthost's own endpoints`,
    });
    // Refused before the rate limiter: 127.0.0.1's one-reply burst is still there for a real client.
    const client = await udpClient();
    await client.send("a real client", echoUdp.port);
    await until(() => client.received.length === 1, "the real client's reply");
    expect(own.received).toHaveLength(0);
  });

  it("never answers a broadcast source address", async () => {
    // Pretend loopback is a broadcast address to exercise the rule through real sockets.
    const { echoUdp, events } = await startEcho({ readBroadcasts: () => new Set(["127.0.0.1"]) });
    const client = await udpClient();
    await client.send("from a broadcast address", echoUdp.port);
    await until(() => events.length === 1, "the datagram handled");
    expect(events[0]).toMatchObject({ outcome: "limited", detail: "source address 127.0.0.1 is a broadcast address" });
    await client.send("again", echoUdp.port);
    await until(() => events.length === 2, "the second datagram handled");
    expect(client.received).toHaveLength(0);
  });
});

describe("discard over UDP", () => {
  it("answers nothing and reports each datagram", async () => {
    const { discardUdp, echoUdp, events } = await startEcho();
    const client = await udpClient();
    await client.send("into the void", discardUdp.port);
    await client.send("echo me", echoUdp.port);
    await until(() => events.length === 2 && client.received.length === 1, "both datagrams handled");
    expect(client.received.map((r) => r.data.toString())).toEqual(["echo me"]);
    expect(events.find((e) => e.service === "discard")).toMatchObject({
      transport: "udp",
      localPort: discardUdp.port,
      remotePort: client.port,
      bytesIn: 13,
      bytesOut: 0,
      outcome: "ok",
    });
  });
});
