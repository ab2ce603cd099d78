import { readdir, readFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildEcho, type EchoService } from "@porthost/echo";
import { createEventSender, type ConnectionEvent, type EventSender } from "@porthost/events";
import { maildirRoot } from "@porthost/mailstore";
import { readConfig, type PorthostConfig } from "@porthost/ports";
import { buildPop3, type Pop3Service } from "@porthost/pop3";
import { buildSmtp, type SmtpService } from "@porthost/smtp";
import { tempDir } from "@porthost/testkit";
import { buildWeb, type WebService } from "@porthost/web";

let config: PorthostConfig;
let web: WebService;
let smtp: SmtpService;
let echo: EchoService;
let pop3: Pop3Service;
let removeData: () => Promise<void>;
let sender: EventSender;
const TOKEN = "integration-token-0123456789";
const ports = { http: 0, smtp: 0, pop3: 0, echo: 0 };

/** Every service in this one process, each on a port the system picks. */
beforeAll(async () => {
  const data = await tempDir();
  removeData = data.remove;
  // SMTP and echo first, so the web service's config can name where they are (as compose does).
  // SMTP and echo report their connections to the web service over the network, once it exists.
  const lateSink = { send: (event: ConnectionEvent) => sender?.send(event) };
  smtp = buildSmtp({ host: "127.0.0.1", port: 0, maildir: maildirRoot(data.dir), events: lateSink });
  const [smtpEndpoint] = await smtp.listen();
  echo = buildEcho({
    host: "127.0.0.1",
    echoPort: 0,
    discardPort: 0,
    events: lateSink,
  });
  const [echoEndpoint] = await echo.listen();
  pop3 = buildPop3({ host: "127.0.0.1", port: 0, maildir: maildirRoot(data.dir), events: lateSink });
  const [pop3Endpoint] = await pop3.listen();
  config = readConfig({
    PORTHOST_HTTP_PORT: "0",
    PORTHOST_DATA_DIR: data.dir,
    PORTHOST_EVENTS_TOKEN: TOKEN,
    PORTHOST_SMTP_ADDR: `127.0.0.1:${smtpEndpoint!.port}`,
    PORTHOST_ECHO_ADDR: `127.0.0.1:${echoEndpoint!.port}`,
    PORTHOST_POP3_ADDR: `127.0.0.1:${pop3Endpoint!.port}`,
  });
  web = await buildWeb({ config });
  const [httpEndpoint] = await web.listen();
  sender = createEventSender({
    target: { host: "127.0.0.1", port: httpEndpoint!.port },
    token: TOKEN,
    flushDelayMs: 10,
  });
  ports.http = httpEndpoint!.port;
  ports.smtp = smtpEndpoint!.port;
  ports.echo = echoEndpoint!.port;
  ports.pop3 = pop3Endpoint!.port;
});

afterAll(async () => {
  await Promise.all([smtp?.close(), pop3?.close(), echo?.close()]);
  await sender?.close();
  await web?.close();
  await removeData?.();
});

describe("four services, four ports, one host", () => {
  it("listens on four different ports", () => {
    expect(new Set(Object.values(ports)).size).toBe(4);
    for (const port of Object.values(ports)) expect(port).toBeGreaterThan(0);
  });

  it("HTTP: GET / is 200 text/html", async () => {
    const response = await fetch(`http://127.0.0.1:${ports.http}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await response.text()).toContain("porthost");
  });

  it("SMTP: a message sent with nodemailer lands as a file in the Maildir's new/", async () => {
    const transport = nodemailer.createTransport({ host: "127.0.0.1", port: ports.smtp, ignoreTLS: true });
    const info = await transport.sendMail({
      from: "sender@example.test",
      to: "you@example.test",
      subject: "over port " + ports.smtp,
      text: "Hello through SMTP.",
    });
    transport.close();
    expect(info.response).toMatch(/^250 /);
    const id = /queued as (\S+)/.exec(info.response)?.[1];
    expect(id).toBeDefined();
    const newDir = path.join(maildirRoot(config.dataDir), "new");
    expect(await readdir(newDir)).toContain(id);
    const stored = await readFile(path.join(newDir, id!), "utf8");
    expect(stored).toMatch(
      /^Return-Path: <sender@example\.test>\r\nDelivered-To: you@example\.test\r\nReceived: from /,
    );
    expect(stored).toContain(`[127.0.0.1]:${ports.smtp})`);
    expect(stored).toContain(`Subject: over port ${ports.smtp}`);
    expect(stored).toContain("Hello through SMTP.");
    expect(await readdir(path.join(maildirRoot(config.dataDir), "tmp"))).toEqual([]);
  });

  it("the web service is a client of the others: POST /api/send and /api/echo report their ephemeral ports", async () => {
    const sent = await fetch(`http://127.0.0.1:${ports.http}/api/send`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ to: "web@example.test", subject: "from the web service", text: "via port " + ports.smtp }),
    });
    expect(sent.status).toBe(200);
    const mail = (await sent.json()) as { id: string; localPort: number; server: string };
    expect(mail.server).toBe(`127.0.0.1:${ports.smtp}`);
    expect(mail.localPort).toBeGreaterThan(1023);
    expect(await readdir(path.join(maildirRoot(config.dataDir), "new"))).toContain(mail.id);
    // The SMTP connection the web service made shows in the live events, from its ephemeral port.
    await expect
      .poll(async () => {
        const body = (await (await fetch(`http://127.0.0.1:${ports.http}/api/events`)).json()) as {
          events: { service: string; remotePort: number; localPort: number; detail?: string }[];
        };
        return body.events.find((e) => e.service === "smtp" && e.remotePort === mail.localPort);
      })
      .toMatchObject({ localPort: ports.smtp, detail: "1 stored" });

    for (const transport of ["tcp", "udp"]) {
      const echoed = await fetch(`http://127.0.0.1:${ports.http}/api/echo`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: `over ${transport}`, transport }),
      });
      expect(echoed.status).toBe(200);
      const body = (await echoed.json()) as { received: string; remote: { port: number }; local: { port: number } };
      expect(body.received).toBe(`over ${transport}`);
      expect(body.remote.port).toBe(ports.echo);
      expect(body.local.port).toBeGreaterThan(1023);
    }
  });

  it("echo: the bytes come back identical", async () => {
    const payload = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));
    const socket = net.connect(ports.echo, "127.0.0.1");
    let localPort = 0;
    socket.on("connect", () => (localPort = socket.localPort!));
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.end(payload);
    await new Promise((resolve, reject) => socket.on("close", resolve).on("error", reject));
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);

    // The connection reached the web service's live events over HTTP, with the client's port.
    await expect
      .poll(async () => {
        const body = (await (await fetch(`http://127.0.0.1:${ports.http}/api/events`)).json()) as {
          events: { service: string; localPort: number; remotePort: number; bytesIn: number }[];
        };
        return body.events.find((e) => e.service === "echo" && e.remotePort === localPort);
      })
      .toMatchObject({ localPort: ports.echo, bytesIn: payload.length });
  });
  it("POP3: what nodemailer sent to the SMTP port comes out of the POP3 port byte for byte, and both show as events", async () => {
    const transport = nodemailer.createTransport({ host: "127.0.0.1", port: ports.smtp, ignoreTLS: true });
    const info = await transport.sendMail({
      from: "sender@example.test",
      to: "pop@example.test",
      subject: "in on one port, out on another",
      text: ".a line that starts with a dot\n..and two\n.\nend",
    });
    transport.close();
    const id = /queued as (\S+)/.exec(info.response)![1]!;
    const stored = await readFile(path.join(maildirRoot(config.dataDir), "new", id));
    expect(stored.toString()).toContain("\r\n.a line that starts with a dot\r\n..and two\r\n.\r\n");

    const fetched = await pop3Retrieve(ports.pop3, id);
    expect(fetched.size).toBe(stored.length);
    expect(fetched.message.equals(stored)).toBe(true);

    await expect
      .poll(async () => {
        const body = (await (await fetch(`http://127.0.0.1:${ports.http}/api/events`)).json()) as {
          events: { service: string; localPort: number; remotePort: number; detail?: string }[];
        };
        return body.events.find((e) => e.service === "pop3" && e.remotePort === fetched.localPort);
      })
      .toMatchObject({ localPort: ports.pop3, detail: "user you, 1 retrieved, 1 deleted" });
    expect(await readdir(path.join(maildirRoot(config.dataDir), "new"))).not.toContain(id);
  });
});

/** USER/PASS, finds the message whose UIDL is `uid`, RETRs and DELEs it, QUITs; un-stuffs what came. */
async function pop3Retrieve(port: number, uid: string): Promise<{ size: number; message: Buffer; localPort: number }> {
  const socket = net.connect(port, "127.0.0.1");
  let received = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const localPort = socket.localPort!;
  socket.write("USER you\r\nPASS x\r\nUIDL\r\n");
  await expect.poll(() => received.toString("latin1").endsWith("\r\n.\r\n")).toBe(true);
  const number = new RegExp(`^(\\d+) ${uid.replace(/[.\\]/g, "\\$&")}\r$`, "m").exec(received.toString("latin1"))![1];
  received = Buffer.alloc(0);
  socket.write(`LIST ${number}\r\nRETR ${number}\r\nDELE ${number}\r\nQUIT\r\n`);
  await new Promise((resolve) => socket.once("close", resolve));
  const text = received.toString("latin1");
  const size = Number(/^\+OK \d+ (\d+)\r\n/.exec(text)![1]);
  const start = text.indexOf("octets\r\n") + "octets\r\n".length;
  const end = text.indexOf("\r\n.\r\n", start) + 2;
  const message = Buffer.from(text.slice(start, end).replace(/(^|\r\n)\.\./g, "$1."), "latin1");
  return { size, message, localPort };
}
