import dgram from "node:dgram";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendMail, tcpRoundTrip, udpRoundTrip } from "../src/index.js";

let tcp: net.Server;
let udp: dgram.Socket;
let port: number;
let deadPort: number;

beforeAll(async () => {
  tcp = net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", resolve));
  port = (tcp.address() as net.AddressInfo).port;
  udp = dgram.createSocket("udp4");
  udp.on("message", (message, from) => udp.send(message, from.port, from.address));
  await new Promise<void>((resolve) => udp.bind(port, "127.0.0.1", resolve));
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  deadPort = (closed.address() as net.AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
});
afterAll(() => {
  tcp.close();
  udp.close();
});

describe("echo round trips", () => {
  it("TCP: the text comes back, with both ports of the conversation", async () => {
    const result = await tcpRoundTrip("127.0.0.1", port, "héllo, port");
    expect(result.received).toBe("héllo, port");
    expect(result.sent).toBe(Buffer.byteLength("héllo, port"));
    expect(result.remote.port).toBe(port);
    expect(result.local.port).toBeGreaterThan(1023);
    expect(result.local.port).not.toBe(port);
  });

  it("UDP: one datagram out, one back, from the same number", async () => {
    const result = await udpRoundTrip("127.0.0.1", port, "datagram");
    expect(result.received).toBe("datagram");
    expect(result.remote.port).toBe(port);
  });

  it("says ECONNREFUSED when nothing listens, over TCP and UDP", async () => {
    await expect(tcpRoundTrip("127.0.0.1", deadPort, "x")).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await expect(udpRoundTrip("127.0.0.1", deadPort, "x", 2_000)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("times out when a UDP server stays silent", async () => {
    const silent = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => silent.bind(0, "127.0.0.1", resolve));
    await expect(udpRoundTrip("127.0.0.1", silent.address().port, "x", 200)).rejects.toMatchObject({
      code: "ETIMEDOUT",
    });
    silent.close();
  });
});

describe("sendMail", () => {
  it("rejects with the errno when no SMTP server listens", async () => {
    const mail = { from: "a@example.test", to: ["b@example.test"], subject: "s", text: "t" };
    await expect(sendMail({ host: "127.0.0.1", port: deadPort }, mail)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});
