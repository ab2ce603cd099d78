import net from "node:net";
import tls from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import type { ConnectionEvent } from "@porthost/events";
import { RawSmtp } from "./smtp-client.js";
import { devCaMaterial } from "@porthost/testkit";
import { startTlsSmtp, type RunningTlsSmtp } from "./start-tls-smtp.js";

let running: RunningTlsSmtp | undefined;
const clients: RawSmtp[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await running?.stop();
  running = undefined;
});

/** Connection events as the server sends them, and a wait for the next one of a service. */
function eventLog() {
  const events: ConnectionEvent[] = [];
  const waiters: { service: string; resolve: (event: ConnectionEvent) => void }[] = [];
  return {
    sink: {
      send(event: ConnectionEvent) {
        const waiter = waiters.findIndex((w) => w.service === event.service);
        if (waiter >= 0) waiters.splice(waiter, 1)[0]?.resolve(event);
        else events.push(event);
      },
    },
    next(service: string): Promise<ConnectionEvent> {
      const kept = events.findIndex((e) => e.service === service);
      if (kept >= 0) return Promise.resolve(events.splice(kept, 1)[0] as ConnectionEvent);
      return new Promise((resolve) => waiters.push({ service, resolve }));
    },
  };
}

async function plain(port: number): Promise<RawSmtp> {
  const client = await RawSmtp.connect(port);
  clients.push(client);
  expect((await client.reply()).code).toBe(220);
  return client;
}

async function implicit(port: number, ca: string): Promise<RawSmtp> {
  const client = await RawSmtp.connectTls(port, ca);
  clients.push(client);
  expect((await client.reply()).code).toBe(220);
  return client;
}

async function send(client: RawSmtp, subject: string): Promise<string> {
  expect((await client.command("MAIL FROM:<app@example.test>")).code).toBe(250);
  expect((await client.command("RCPT TO:<dev@example.test>")).code).toBe(250);
  expect((await client.command("DATA")).code).toBe(354);
  const queued = await client.command(`Subject: ${subject}\r\n\r\nbody\r\n.`);
  expect(queued.text).toMatch(/^250 2\.0\.0 Ok: queued as /);
  return queued.text.split(" ").at(-1) ?? "";
}

const auth = `AUTH PLAIN ${Buffer.from("\0app\0secret").toString("base64")}`;

describe("SMTP on 25, 587 and 465 with the dev CA's certificate", () => {
  it("25 offers STARTTLS; the upgraded session checks out against the dev CA and its event says starttls", async () => {
    const log = eventLog();
    running = await startTlsSmtp({ events: log.sink });
    const client = await plain(running.ports.smtp);
    expect((await client.command("EHLO client.test")).lines).toContain("STARTTLS");
    expect((await client.command("STARTTLS")).code).toBe(220);
    await client.startTls(running.ca);
    expect((await client.command("EHLO client.test")).lines).not.toContain("STARTTLS");
    const id = await send(client, "over STARTTLS on 25");
    await client.command("QUIT");
    const event = await log.next("smtp");
    expect(event).toMatchObject({ outcome: "ok", detail: "1 stored", localPort: running.ports.smtp });
    expect(event.tls).toMatchObject({ version: "TLSv1.3", mode: "starttls" });
    expect(event.tls?.cipher).toMatch(/^TLS_/);
    const stored = (await running.read(id)).toString();
    expect(stored).toContain(`(porthost smtp, [127.0.0.1]:${running.ports.smtp})`);
    expect(stored).toContain("with ESMTPS");
  });

  it("587 wants STARTTLS, then AUTH, before any mail, and says so", async () => {
    const log = eventLog();
    running = await startTlsSmtp({ events: log.sink });
    const client = await plain(running.ports.submission);
    expect((await client.command("EHLO client.test")).lines).toContain("STARTTLS");
    const early = await client.command("MAIL FROM:<app@example.test>");
    expect(early.code).toBe(530);
    expect(early.text).toMatch(/^530 5\.7\.0 Authentication required: .*STARTTLS, then AUTH/);
    expect((await client.command(auth)).code).toBe(538);
    expect((await client.command("STARTTLS")).code).toBe(220);
    await client.startTls(running.ca);
    expect((await client.command("EHLO client.test")).lines.join(" ")).toMatch(/AUTH PLAIN LOGIN/);
    expect((await client.command("MAIL FROM:<app@example.test>")).code).toBe(530);
    expect((await client.command(auth)).code).toBe(235);
    const id = await send(client, "submitted on 587");
    await client.command("QUIT");
    const event = await log.next("submission");
    expect(event).toMatchObject({ outcome: "ok", localPort: running.ports.submission, tls: { mode: "starttls" } });
    // The refusals on the way are counted, though a message was stored in the end.
    expect(event.detail).toBe("1 stored, 3 refused (530)");

    // A client that only hears refusals: its row says so.
    const refusedOnly = await plain(running.ports.submission);
    await refusedOnly.command("EHLO client.test");
    expect((await refusedOnly.command("MAIL FROM:<app@example.test>")).code).toBe(530);
    await refusedOnly.command("QUIT");
    expect(await log.next("submission")).toMatchObject({ outcome: "refused", detail: "0 stored, 1 refused (530)" });
    const stored = (await running.read(id)).toString();
    expect(stored).toContain(`[127.0.0.1]:${running.ports.submission})`);
    expect(stored).toContain("with ESMTPSA");
  });

  it("587 with PORTHOST_SMTP_USERS takes only those accounts", async () => {
    running = await startTlsSmtp({ users: [{ username: "app", password: "right" }] });
    const client = await plain(running.ports.submission);
    await client.command("EHLO client.test");
    expect((await client.command("STARTTLS")).code).toBe(220);
    await client.startTls(running.ca);
    await client.command("EHLO client.test");
    expect((await client.command(auth)).code).toBe(535);
    expect((await client.command(`AUTH PLAIN ${Buffer.from("\0app\0right").toString("base64")}`)).code).toBe(235);
  });

  it("465 is TLS from the first byte, then AUTH; its event says implicit", async () => {
    const log = eventLog();
    running = await startTlsSmtp({ events: log.sink });
    const client = await implicit(running.ports.submissions, running.ca);
    const ehlo = await client.command("EHLO client.test");
    expect(ehlo.lines).not.toContain("STARTTLS");
    expect((await client.command("MAIL FROM:<app@example.test>")).text).toMatch(/^530 5\.7\.0 .*AUTH first/);
    expect((await client.command(auth)).code).toBe(235);
    const id = await send(client, "submitted on 465");
    await client.command("QUIT");
    const event = await log.next("submissions");
    expect(event).toMatchObject({
      outcome: "ok",
      detail: "1 stored, 1 refused (530)",
      localPort: running.ports.submissions,
    });
    expect(event.tls).toMatchObject({ version: "TLSv1.3", mode: "implicit" });
    expect((await running.read(id)).toString()).toContain(`[127.0.0.1]:${running.ports.submissions})`);
    expect(await running.stored()).toEqual([id]);
  });

  it("a plain-text client on 465 is cut with an event naming the failed handshake; the port serves on", async () => {
    const log = eventLog();
    running = await startTlsSmtp({ events: log.sink });
    const socket = net.connect(running.ports.submissions, "127.0.0.1", () => socket.write("EHLO plain.test\r\n"));
    socket.on("error", () => undefined);
    let heard = "";
    socket.on("data", (chunk: Buffer) => (heard += chunk.toString("latin1")));
    await new Promise((resolve) => socket.once("close", resolve));
    expect(heard).not.toMatch(/^220/);
    const event = await log.next("submissions");
    expect(event).toMatchObject({ outcome: "error", detail: "TLS handshake failed: wrong version number" });
    expect(event.tls).toBeUndefined();
    await implicit(running.ports.submissions, running.ca);
  });

  it("a TLS client on 25 fails on the plain greeting, and 25 serves on", async () => {
    running = await startTlsSmtp();
    const failure = await new Promise<Error>((resolve, reject) => {
      const socket = tls.connect({
        port: running?.ports.smtp ?? 0,
        host: "127.0.0.1",
        ca: running?.ca,
        servername: "localhost",
      });
      socket.once("secureConnect", () => reject(new Error("TLS came up on the plain SMTP port")));
      socket.once("error", resolve);
    });
    expect(failure.message).toMatch(/wrong version number|packet length too long|unexpected eof|socket disconnected/i);
    const client = await plain(running.ports.smtp);
    expect((await client.command("EHLO client.test")).code).toBe(250);
  });

  it("a STARTTLS handshake that fails is an error event; a client that does not trust the certificate says so", async () => {
    const log = eventLog();
    running = await startTlsSmtp({ events: log.sink });
    const client = await plain(running.ports.smtp);
    await client.command("EHLO client.test");
    expect((await client.command("STARTTLS")).code).toBe(220);
    // Trusting another CA only: the client refuses the chain and tells the server with an alert.
    const other = await devCaMaterial();
    await expect(client.startTls(other.ca)).rejects.toThrow(/unable to verify|self-signed|issuer/i);
    await other.remove();
    client.close();
    const event = await log.next("smtp");
    expect(event).toMatchObject({ outcome: "error", tls: undefined });
    // OpenSSL's alert when it reaches the server first, else the hang-up that follows it.
    expect(event.detail).toMatch(/^TLS handshake failed: (.*alert unknown ca|the client closed the connection)$/);
  });
});
