import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testConfig } from "./test-config.js";
import { buildWeb, type WebService } from "../src/index.js";
import { probeTcp } from "../src/api/port-probe.js";

function rawRequest(port: number, text: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let reply = "";
    socket.setTimeout(timeoutMs, () => reject(new Error(`no answer in ${timeoutMs} ms: ${reply}`)));
    socket.on("data", (d: Buffer) => (reply += d.toString()));
    socket.on("close", () => resolve(reply));
    socket.on("error", reject);
    if (text) socket.write(text);
  });
}

describe("API over a real socket", () => {
  let web: WebService;
  let port: number;
  beforeAll(async () => {
    web = await buildWeb({
      config: testConfig({
        PORTHOST_HTTP_MAX_BODY_BYTES: "100",
        PORTHOST_HTTP_MAX_HEADER_BYTES: "2048",
        PORTHOST_HTTP_HEADERS_TIMEOUT_MS: "300",
      }),
      port: 0,
    });
    port = (await web.listen())[0]!.port;
  });
  afterAll(() => web.close());

  it("GET /api/whoami shows the client's ephemeral port and the server's port", async () => {
    const socket = net.connect(port, "127.0.0.1");
    await new Promise((resolve) => socket.on("connect", resolve));
    const clientPort = socket.localPort!;
    socket.write(`GET /api/whoami HTTP/1.1\r\nHost: localhost\r\nX-Probe: yes\r\nConnection: close\r\n\r\n`);
    let reply = "";
    socket.on("data", (d: Buffer) => (reply += d.toString()));
    await new Promise((resolve) => socket.on("close", resolve));
    const body = JSON.parse(reply.slice(reply.indexOf("\r\n\r\n") + 4)) as {
      client: { address: string; port: number; rangeClass: string };
      server: { port: number; rangeClass: string };
      service: string;
      headers: Record<string, string>;
    };
    expect(body.client).toMatchObject({ address: "127.0.0.1", port: clientPort });
    expect(body.server.port).toBe(port);
    expect(body.service).toBe("http");
    expect(body.headers["x-probe"]).toBe("yes");
    expect(["user", "dynamic"]).toContain(body.client.rangeClass);
  });

  it("unknown API paths are JSON 404s", async () => {
    const response = await fetch(`http://127.0.0.1:${port}/api/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: "PORTHOST_WEB_NOT_FOUND" });
  });

  it("a body over PORTHOST_HTTP_MAX_BODY_BYTES is refused with 413", async () => {
    const response = await fetch(`http://127.0.0.1:${port}/api/anything`, {
      method: "POST",
      body: JSON.stringify({ x: "x".repeat(500) }),
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(413);
  });

  it("a request head over PORTHOST_HTTP_MAX_HEADER_BYTES gets 431", async () => {
    const reply = await rawRequest(port, `GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: ${"a".repeat(4096)}\r\n\r\n`);
    expect(reply).toMatch(/^HTTP\/1\.1 431/);
  });
});

describe("slow clients", () => {
  it("a client that never finishes its headers is cut off with 408 (slowloris)", async () => {
    // Its own server: a short PORTHOST_HTTP_HEADERS_TIMEOUT_MS must not cut the other tests' requests.
    const web = await buildWeb({ config: testConfig({ PORTHOST_HTTP_HEADERS_TIMEOUT_MS: "300" }), port: 0 });
    const port = (await web.listen())[0]!.port;
    const reply = await rawRequest(port, "GET / HTTP/1.1\r\nHost: localhost\r\n");
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    await web.close();
  });
});

describe("maximum connections", () => {
  it("closes connections past PORTHOST_HTTP_MAX_CONNECTIONS", async () => {
    const web = await buildWeb({ config: testConfig({ PORTHOST_HTTP_MAX_CONNECTIONS: "1" }), port: 0 });
    const port = (await web.listen())[0]!.port;
    const first = net.connect(port, "127.0.0.1");
    await new Promise((resolve) => first.on("connect", resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const reply = await rawRequest(port, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    expect(reply).toBe("");
    first.destroy();
    await web.close();
  });
});

describe("/api/docs", () => {
  let web: WebService;
  beforeAll(async () => {
    web = await buildWeb({ config: testConfig() });
  });
  afterAll(() => web.close());

  it("serves an OpenAPI document listing every API route", async () => {
    const response = await web.app.inject({ url: "/api/docs/openapi.json" });
    expect(response.statusCode).toBe(200);
    const doc = response.json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/ports", "/api/whoami"]));
  });

  it("describes each API route's replies with a schema per status, and lists no catch-all", async () => {
    const MAILPIT_ROUTES = [
      "GET /api/v1/info",
      "GET /api/v1/messages",
      "PUT /api/v1/messages",
      "DELETE /api/v1/messages",
      "GET /api/v1/search",
      "DELETE /api/v1/search",
      "GET /api/v1/message/{ID}",
      "GET /api/v1/message/{ID}/headers",
      "GET /api/v1/message/{ID}/raw",
      "GET /api/v1/message/{ID}/part/{PartID}",
      "POST /api/v1/send",
      "GET /view/{file}",
    ];
    type Reply = { description?: string; content?: Record<string, { schema?: Record<string, unknown> }> };
    const doc = (await web.app.inject({ url: "/api/docs/openapi.json" })).json<{
      paths: Record<string, Record<string, { responses?: Record<string, Reply> }>>;
    }>();
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
    );
    expect(operations.map((o) => o.route).sort()).toEqual(
      [
        "GET /api/ports",
        "GET /api/whoami",
        "GET /ca.pem",
        "GET /api/whois/{query}",
        "POST /api/events",
        "GET /api/events",
        "GET /api/events/stream",
        "GET /api/events/restarts",
        "POST /api/send",
        "POST /api/echo",
        "GET /api/messages",
        "DELETE /api/messages",
        "GET /api/messages/{id}",
        "DELETE /api/messages/{id}",
        "GET /api/messages/{id}/raw",
        "GET /api/messages/{id}/html",
        "GET /api/messages/{id}/attachments/{n}",
        "GET /api/messages/wait",
        "PATCH /api/messages/{id}",
        "GET /api/messages/{id}/cid/{cid}",
        "GET /api/sessions",
        "GET /api/sessions/{id}",
        ...MAILPIT_ROUTES,
      ].sort(),
    );
    for (const { route, op } of operations) {
      const replies = Object.entries(op.responses ?? {});
      const success = replies.filter(([status]) => status.startsWith("2"));
      expect(success.length, route).toBeGreaterThan(0);
      for (const [status, reply] of replies) {
        expect(reply.description, `${route} ${status}`).not.toBe("Default Response");
        if (status === "204") continue;
        const schemas = Object.values(reply.content ?? {}).map((c) => c.schema);
        expect(schemas.length, `${route} ${status}`).toBeGreaterThan(0);
        for (const schema of schemas)
          expect(Object.keys(schema ?? {}), `${route} ${status}`).toEqual(
            expect.arrayContaining([expect.stringMatching(/^(type|anyOf)$/)]),
          );
        // Every error reply is the catalogue's one shape; Mailpit's API answers errors as text, as Mailpit does.
        if (MAILPIT_ROUTES.includes(route)) expect(schemas[0]?.type, `${route} ${status}`).toBeDefined();
        else if (!status.startsWith("2"))
          expect(Object.keys(schemas[0]?.properties as object).sort(), `${route} ${status}`).toEqual([
            "code",
            "error",
            "message",
            "statusCode",
          ]);
      }
    }
    expect(Object.keys(doc.paths).filter((path) => path.includes("*"))).toEqual([]);
  });

  it("renders the same routes as a page without scripts", async () => {
    const response = await web.app.inject({ url: "/api/docs" });
    expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(response.body).toContain("<code>GET /api/whoami</code>");
    expect(response.body).toContain("<code>GET /api/ports</code>");
    expect(response.body).toContain("<code>application/json</code>");
    expect(response.body).not.toContain("{*}");
    expect(response.body).not.toContain("<script");
  });
});

describe("GET /api/ports live status", () => {
  it("says up for a port that accepts connections, down for one that does not", async () => {
    const listener = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    const upPort = (listener.address() as net.AddressInfo).port;
    // As the vault answers whoever has not knocked: a handshake, then a reset at once.
    const resetting = net.createServer((s) => s.resetAndDestroy());
    await new Promise<void>((resolve) => resetting.listen(0, "127.0.0.1", resolve));
    const resetPort = (resetting.address() as net.AddressInfo).port;
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const downPort = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    const config = testConfig({
      PORTHOST_SMTP_ADDR: `127.0.0.1:${upPort}`,
      PORTHOST_ECHO_ADDR: `127.0.0.1:${downPort}`,
      PORTHOST_POP3_ADDR: `127.0.0.1:${downPort}`,
      PORTHOST_HTTPS_ADDR: `127.0.0.1:${downPort}`,
      PORTHOST_VAULT_ADDR: `127.0.0.1:${resetPort}`,
    });
    const web = await buildWeb({ config });
    const body = (await web.app.inject({ url: "/api/ports" })).json<{ services: { name: string; status: string }[] }>();
    const status = Object.fromEntries(body.services.map((s) => [s.name, s.status]));
    expect(status.smtp).toBe("up");
    expect(status.vault).toBe("up");
    expect(status.echo).toBe("down");
    expect(status.pop3).toBe("down");
    expect(status.https).toBe("down");
    await web.close();
    listener.close();
    resetting.close();
  });

  it("calls a port up whose service resets at once, even when the reset beats the connect callback", async () => {
    const resetting = net.createServer((s) => s.resetAndDestroy());
    await new Promise<void>((resolve) => resetting.listen(0, "127.0.0.1", resolve));
    const address = { host: "127.0.0.1", port: (resetting.address() as net.AddressInfo).port };
    for (let i = 0; i < 20; i++) {
      const status = probeTcp(address, 10_000);
      // This thread busy while the handshake completes: the accept (and its reset) and the
      // connect are then handled in one turn, the reset first.
      const until = Date.now() + 2;
      while (Date.now() < until);
      expect(await status).toBe("up");
    }
    resetting.close();
  });

  it("probes as a client that hangs up (FIN, not a reset): the service knows who it was and hears no error", async () => {
    const seen: { address: string | undefined; ended: boolean; error?: string }[] = [];
    const listener = net.createServer((socket) => {
      const peer: (typeof seen)[number] = { address: socket.remoteAddress, ended: false };
      seen.push(peer);
      socket.write("220 greeting\r\n");
      socket.on("end", () => {
        peer.ended = true;
        socket.end();
      });
      socket.on("error", (error: NodeJS.ErrnoException) => (peer.error = error.code));
    });
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    const web = await buildWeb({
      config: testConfig({ PORTHOST_SMTP_ADDR: `127.0.0.1:${(listener.address() as net.AddressInfo).port}` }),
    });
    const body = (await web.app.inject({ url: "/api/ports" })).json<{ services: { name: string; status: string }[] }>();
    expect(body.services.find((s) => s.name === "smtp")?.status).toBe("up");
    await expect.poll(() => seen[0]?.ended).toBe(true);
    expect(seen).toEqual([{ address: "127.0.0.1", ended: true }]);
    await web.close();
    listener.close();
  });
});

describe("GET /api/whois/:query", () => {
  let web: WebService;
  beforeAll(async () => {
    web = await buildWeb({ config: testConfig() });
  });
  afterAll(() => web.close());

  it("describes a number", async () => {
    const body = (await web.app.inject({ url: "/api/whois/443" })).json<{
      kind: string;
      rangeClass: string;
      wellKnown: { name: string }[];
    }>();
    expect(body.kind).toBe("port");
    expect(body.rangeClass).toBe("system");
    expect(body.wellKnown[0]?.name).toBe("https");
  });

  it("names both doors of a number shared by the vault and a knock", async () => {
    const response = await web.app.inject({ url: "/api/whois/9021" });
    expect(response.statusCode).toBe(200);
    const body = response.json() as { porthost: { service: string; transports: string[]; knocks?: number[] }[] };
    expect(body.porthost).toEqual([
      expect.objectContaining({ service: "vault", transports: ["tcp"] }),
      expect.objectContaining({ service: "knock", transports: ["udp"], knocks: [3], sequenceLength: 3 }),
    ]);
    expect(body.porthost[0]).not.toHaveProperty("knocks");
  });

  it("describes a porthost service by name with its port here", async () => {
    const body = (await web.app.inject({ url: "/api/whois/smtp" })).json<{
      kind: string;
      porthost: { port: number; wellKnownPort: number };
    }>();
    expect(body.kind).toBe("name");
    expect(body.porthost).toMatchObject({ port: 8025, wellKnownPort: 25 });
  });

  it.each([
    ["/api/whois/70000", 400, "PORTHOST_WEB_NOT_A_PORT"],
    ["/api/whois/-3", 400, "PORTHOST_WEB_NOT_A_PORT"],
    ["/api/whois/nosuchthing", 404, "PORTHOST_WEB_UNKNOWN_NAME"],
  ])("%s is %i %s", async (url, status, code) => {
    const response = await web.app.inject({ url });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ code });
  });
});

describe("POST /api/send to something that is not an SMTP server", () => {
  it("says 502 and what it greeted with", async () => {
    const ssh = net.createServer((socket) => socket.end("SSH-2.0-OpenSSH_9.6\r\n"));
    await new Promise<void>((resolve) => ssh.listen(0, "127.0.0.1", resolve));
    const sshPort = (ssh.address() as net.AddressInfo).port;
    const web = await buildWeb({ config: testConfig({ PORTHOST_SMTP_ADDR: `127.0.0.1:${sshPort}` }) });
    try {
      const response = await web.app.inject({ method: "POST", url: "/api/send", payload: { to: "a@b.test" } });
      expect(response.statusCode).toBe(502);
      expect(response.json()).toMatchObject({
        code: "PORTHOST_WEB_UPSTREAM_NOT_SMTP",
        message: expect.stringContaining('greeted with "SSH-2.0-OpenSSH_9.6'),
      });
    } finally {
      await web.close();
      await new Promise((resolve) => ssh.close(resolve));
    }
  });
});

describe("POST /api/send and /api/echo when the input or the other service is wrong", () => {
  let web: WebService;
  beforeAll(async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    web = await buildWeb({
      config: testConfig({ PORTHOST_SMTP_ADDR: `127.0.0.1:${deadPort}`, PORTHOST_ECHO_ADDR: `127.0.0.1:${deadPort}` }),
    });
  });
  afterAll(() => web.close());

  it.each([
    [{}, "to"],
    [{ to: "not an address" }, "to"],
    [{ to: "a@b.test", colour: "red" }, "colour"],
  ])("send refuses %j with 400", async (payload, word) => {
    const response = await web.app.inject({ method: "POST", url: "/api/send", payload });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain(word);
  });

  it("send says 502 and that nothing listens at the address when SMTP is down", async () => {
    const response = await web.app.inject({ method: "POST", url: "/api/send", payload: { to: "a@b.test" } });
    expect(response.statusCode).toBe(502);
    expect(response.json()).toMatchObject({
      code: "PORTHOST_WEB_UPSTREAM_DOWN",
      message: expect.stringMatching(/^Nothing listens at 127\.0\.0\.1:\d+ \(connection refused\)/),
    });
  });

  it("send says 400 for an address with a port, before any connection", async () => {
    const response = await web.app.inject({
      method: "POST",
      url: "/api/send",
      payload: { to: "root@127.0.0.1:2222" },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      code: "PORTHOST_WEB_NOT_A_MAIL_ADDRESS",
      message: expect.stringContaining("has no port"),
    });
  });

  it("echo says 502 when the echo service is down, 400 for a datagram over the limit", async () => {
    expect((await web.app.inject({ method: "POST", url: "/api/echo", payload: { text: "hi" } })).json()).toMatchObject({
      code: "PORTHOST_WEB_UPSTREAM_DOWN",
    });
    const big = await web.app.inject({
      method: "POST",
      url: "/api/echo",
      payload: { text: "x".repeat(60_000), transport: "udp" },
    });
    expect(big.statusCode).toBe(400);
    expect(big.json()).toMatchObject({ code: "PORTHOST_WEB_DATAGRAM_TOO_BIG" });
    expect((await web.app.inject({ method: "POST", url: "/api/echo", payload: { text: "" } })).statusCode).toBe(400);
  });
});
