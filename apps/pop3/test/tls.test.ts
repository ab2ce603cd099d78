import net from "node:net";
import tls from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import type { ConnectionEvent } from "@porthost/events";
import { devCaMaterial, type DevCaMaterial } from "@porthost/testkit";
import { pop3Replies } from "../src/index.js";
import { crlfMessage, RawPop3, startPop3, type RunningPop3 } from "./pop3-client.js";

let running: RunningPop3 | undefined;
let devCa: DevCaMaterial | undefined;
const clients: RawPop3[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await running?.stop();
  await devCa?.remove();
  running = undefined;
  devCa = undefined;
});

/** POP3 on 110 and 995 with a leaf from a fresh dev CA; the events it sends, and a wait for the next. */
async function startTlsPop3(idleTimeoutMs?: number) {
  devCa = await devCaMaterial();
  const events: ConnectionEvent[] = [];
  const waiters: ((event: ConnectionEvent) => void)[] = [];
  running = await startPop3({
    tls: devCa,
    pop3sPort: 0,
    ...(idleTimeoutMs === undefined ? {} : { settings: { idleTimeoutMs } }),
    events: { send: (event) => (waiters.shift() ?? ((e) => events.push(e)))(event) },
  });
  const pop3sPort = (running.pop3.pop3sServer?.address() as net.AddressInfo).port;
  const nextEvent = (): Promise<ConnectionEvent> =>
    events.length > 0 ? Promise.resolve(events.shift() as ConnectionEvent) : new Promise((r) => waiters.push(r));
  return { running, ca: devCa.ca, pop3sPort, nextEvent };
}

async function implicit(port: number, ca: string): Promise<RawPop3> {
  const client = await RawPop3.connectTls(port, ca);
  clients.push(client);
  return client;
}

describe("POP3 on 110 (STLS) and 995 (implicit TLS) with the dev CA's certificate", () => {
  it("110 offers STLS; the upgraded session checks out against the dev CA and its event says starttls", async () => {
    const { running, ca, nextEvent } = await startTlsPop3();
    await running.deliver(crlfMessage("over STLS"));
    const client = await running.connect();
    expect((await client.multi("CAPA")).lines).toContain("STLS");
    expect(await client.command("STLS")).toBe("+OK begin TLS negotiation");
    await client.startTls(ca);
    expect(await client.login()).toMatch(/^\+OK "user" has 1 message/);
    expect(await client.quit()).toMatch(/^\+OK/);
    const event = await nextEvent();
    expect(event).toMatchObject({ service: "pop3", outcome: "ok", localPort: running.port });
    expect(event.tls).toMatchObject({ version: "TLSv1.3", mode: "starttls" });
  });

  it("995 is TLS from the first byte with the same session; no STLS there; its event says implicit", async () => {
    const { running, ca, pop3sPort, nextEvent } = await startTlsPop3();
    const id = await running.deliver(crlfMessage("over 995", [".dot"]));
    const client = await implicit(pop3sPort, ca);
    expect(client.greeting).toMatch(/^\+OK porthost POP3 ready </);
    expect((await client.multi("CAPA")).lines).not.toContain("STLS");
    expect(await client.command("STLS")).toBe(pop3Replies.alreadyTls().line);
    expect(await client.login()).toMatch(/^\+OK "user" has 1 message/);
    const retr = await client.multi("RETR 1");
    expect(retr.body.equals((await running.store.raw(id)) ?? Buffer.alloc(0))).toBe(true);
    expect(await client.quit()).toMatch(/^\+OK/);
    const event = await nextEvent();
    expect(event).toMatchObject({ service: "pop3s", outcome: "ok", localPort: pop3sPort });
    expect(event.tls).toMatchObject({ version: "TLSv1.3", mode: "implicit" });
    expect(event.tls?.cipher).toMatch(/^TLS_/);
  });

  it("a plain-text client on 995 is cut with an event naming the failed handshake; 995 serves on", async () => {
    const { ca, pop3sPort, nextEvent } = await startTlsPop3();
    const socket = net.connect(pop3sPort, "127.0.0.1", () => socket.write("USER ann\r\n"));
    socket.on("error", () => undefined);
    let heard = "";
    socket.on("data", (chunk: Buffer) => (heard += chunk.toString("latin1")));
    await new Promise((resolve) => socket.once("close", resolve));
    expect(heard).not.toContain("+OK");
    expect(await nextEvent()).toMatchObject({
      service: "pop3s",
      outcome: "error",
      detail: "TLS handshake failed: wrong version number",
    });
    expect((await implicit(pop3sPort, ca)).greeting).toMatch(/^\+OK/);
  });

  it("a handshake that never starts on 995 is cut at the idle timeout", async () => {
    const { pop3sPort, nextEvent } = await startTlsPop3(500);
    const socket = net.connect(pop3sPort, "127.0.0.1");
    socket.on("error", () => undefined);
    await new Promise((resolve) => socket.once("close", resolve));
    expect(await nextEvent()).toMatchObject({
      outcome: "timeout",
      detail: "TLS handshake failed: no handshake in time",
    });
  });

  it("a TLS client on 110 fails on the plain greeting, and 110 serves on", async () => {
    const { running, ca } = await startTlsPop3();
    const failure = await new Promise<Error>((resolve, reject) => {
      const socket = tls.connect({ port: running.port, host: "127.0.0.1", ca, servername: "localhost" });
      socket.once("secureConnect", () => reject(new Error("TLS came up on the plain POP3 port")));
      socket.once("error", resolve);
    });
    expect(failure.message).toMatch(/wrong version number|packet length too long|unexpected eof|socket disconnected/i);
    expect(await (await running.connect()).login()).toMatch(/^\+OK/);
  });

  it("an STLS handshake the client gives up on is an error event naming the TLS failure", async () => {
    const { running, nextEvent } = await startTlsPop3();
    const client = await running.connect();
    expect(await client.command("STLS")).toBe("+OK begin TLS negotiation");
    client.write("this is not a TLS ClientHello\r\n");
    await client.closedPromise;
    expect(await nextEvent()).toMatchObject({
      service: "pop3",
      outcome: "error",
      detail: "TLS handshake failed: wrong version number",
    });
  });
});
