import { once } from "node:events";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { resolveTls, type ResolvedTls } from "@porthost/devcert";
import type { ConnectionEvent } from "@porthost/events";
import { TLS_FAILURE_PREFIX } from "@porthost/events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWeb, type WebService } from "../src/index.js";
import { testConfig, testDataDir } from "./test-config.js";

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request over TLS that trusts only `ca` (never rejectUnauthorized: false). */
function httpsGet(
  port: number,
  url: string,
  ca: string,
  headers: Record<string, string> = {},
  localAddress = "127.0.0.1",
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = https.get({
      host: "127.0.0.1",
      localAddress,
      port,
      path: url,
      ca,
      servername: "localhost",
      headers,
      agent: false,
    });
    request.on("error", reject);
    request.on("response", (response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
  });
}

function nextEvent(web: WebService, match: (event: ConnectionEvent) => boolean): Promise<ConnectionEvent> {
  return new Promise((resolve) => {
    const stop = web.hub.subscribe((event) => {
      if (!match(event)) return;
      stop();
      resolve(event);
    });
  });
}

describe("the web app over TLS (https)", () => {
  let web: WebService;
  let resolved: ResolvedTls;
  let httpPort: number;
  let httpsPort: number;

  beforeAll(async () => {
    const config = testConfig();
    resolved = await resolveTls(config);
    web = await buildWeb({ config, port: 0, httpsPort: 0, tls: resolved });
    const endpoints = await web.listen();
    expect(endpoints.map((e) => e.service)).toEqual(["http", "https"]);
    httpPort = endpoints[0]!.port;
    httpsPort = endpoints[1]!.port;
  });
  afterAll(() => web.close());

  it("answers /api/whoami over TLS with the version and cipher; over plain HTTP with none", async () => {
    const answer = await httpsGet(httpsPort, "/api/whoami", resolved.ca!);
    expect(answer.status).toBe(200);
    const whoami = JSON.parse(answer.body) as { service: string; server: { port: number }; tls?: unknown };
    expect(whoami.service).toBe("https");
    expect(whoami.server.port).toBe(httpsPort);
    expect(whoami.tls).toEqual({ version: "TLSv1.3", cipher: expect.stringMatching(/^TLS_/), mode: "implicit" });
    const plain = await web.app.inject({ url: "/api/whoami" });
    expect(plain.json()).not.toHaveProperty("tls");
    expect(plain.json()).toMatchObject({ service: "http" });
  });

  it("reports each https request as an https event carrying its TLS", async () => {
    const seen = nextEvent(web, (e) => e.service === "https" && e.detail?.startsWith("GET /api/ports") === true);
    await httpsGet(httpsPort, "/api/ports", resolved.ca!);
    const event = await seen;
    expect(event).toMatchObject({ transport: "tcp", localPort: httpsPort, outcome: "ok" });
    expect(event.tls).toMatchObject({ version: "TLSv1.3", mode: "implicit" });
  });

  it("applies the Host check to https as to http", async () => {
    const answer = await httpsGet(httpsPort, "/api/messages", resolved.ca!, { host: "attacker.example:8443" });
    expect(answer.status).toBe(421);
    expect(JSON.parse(answer.body)).toMatchObject({ code: "PORTHOST_WEB_HOST_NOT_ALLOWED" });
  });

  it("reports a plain-HTTP client on the https port as a failed handshake", async () => {
    const failed = nextEvent(web, (e) => e.service === "https" && e.outcome === "refused");
    const socket = net.connect(httpsPort, "127.0.0.1");
    socket.on("error", () => undefined);
    socket.end("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    const event = await failed;
    expect(event.detail).toMatch(new RegExp(`^${TLS_FAILURE_PREFIX}`));
    socket.destroy();
  });

  it("offers the CA certificate at /ca.pem, over http and https", async () => {
    const plain = await web.app.inject({ url: "/ca.pem" });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers["content-type"]).toBe("application/x-pem-file");
    expect(plain.body).toBe(resolved.ca);
    expect(plain.body).not.toContain("PRIVATE KEY");
    const secure = await httpsGet(httpsPort, "/ca.pem", resolved.ca!);
    expect(secure.body).toBe(readFileSync(resolved.caPath!, "utf8"));
    expect(httpPort).toBeGreaterThan(0);
  });

  it("serves no private key at any path: the tls folder, traversal, encodings, the API", async () => {
    const names = ["rootCA-key.pem", "key.pem", "rootCA.pem", "cert.pem"];
    const paths = [
      "/ca.pem",
      "/ca-key.pem",
      "/key.pem",
      "/rootCA-key.pem",
      "/tls/rootCA-key.pem",
      "/data/tls/key.pem",
      "/api/docs/openapi.json",
      "/api/whoami",
      ...names.flatMap((name) => [
        `/../tls/${name}`,
        `/%2e%2e/tls/${name}`,
        `/..%2ftls%2f${name}`,
        `/static/..%2f..%2f${name}`,
        `/${path.relative("/", path.join(testDataDir, "tls", name))}`,
        `/..%2f..%2f..%2f..%2f..%2f..%2f${encodeURIComponent(path.join(testDataDir, "tls", name).slice(1))}`,
      ]),
    ];
    for (const url of paths) {
      const plain = await web.app.inject({ url });
      expect(plain.body, url).not.toContain("PRIVATE KEY");
      const secure = await httpsGet(httpsPort, url, resolved.ca!);
      expect(secure.body, url).not.toContain("PRIVATE KEY");
    }
  });
});

describe("the https port's connection cap", () => {
  let resolved: ResolvedTls;
  beforeAll(async () => {
    resolved = await resolveTls(testConfig());
  });

  it("holds one address to its share of https connections before any handshake; another is served", async () => {
    const config = testConfig({ PORTHOST_MAX_CONNECTIONS_PER_ADDRESS: "3" });
    const web = await buildWeb({ config, port: 0, httpsPort: 0, tls: await resolveTls(config) });
    const httpsPort = (await web.listen())[1]!.port;
    const held = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const socket = net.connect(httpsPort, "127.0.0.1");
        await once(socket, "connect");
        return socket;
      }),
    );
    const limited = nextEvent(web, (e) => e.service === "https" && e.outcome === "limited");
    const refused = net.connect(httpsPort, "127.0.0.1");
    refused.on("error", () => undefined);
    await once(refused, "close");
    expect((await limited).detail).toContain("PORTHOST_MAX_CONNECTIONS_PER_ADDRESS");
    const other = await httpsGet(httpsPort, "/api/ports", resolved.ca!, {}, "127.0.0.2");
    expect(other.status).toBe(200);
    for (const socket of held) socket.destroy();
    await web.close();
  });
});

describe("a certificate the user brings", () => {
  it("is what the https port serves, and /ca.pem says there is no dev CA", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "porthost-user-cert-"));
    // The dev CA of another data dir stands in for the user's own CA.
    const elsewhere = await resolveTls(testConfig({ PORTHOST_DATA_DIR: dir }));
    writeFileSync(path.join(dir, "mine.pem"), elsewhere.cert);
    writeFileSync(path.join(dir, "mine-key.pem"), elsewhere.key);
    const config = testConfig({
      PORTHOST_TLS_CERT: path.join(dir, "mine.pem"),
      PORTHOST_TLS_KEY: path.join(dir, "mine-key.pem"),
    });
    const web = await buildWeb({ config, port: 0, httpsPort: 0, tls: await resolveTls(config) });
    try {
      const [, secure] = await web.listen();
      const answer = await httpsGet(secure!.port, "/ca.pem", elsewhere.ca!);
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.body)).toMatchObject({ code: "PORTHOST_WEB_NO_DEV_CA" });
    } finally {
      await web.close();
    }
  });
});
