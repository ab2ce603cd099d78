import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testConfig } from "./test-config.js";
import { buildWeb, type WebService } from "../src/index.js";
import { allowedHost, hostName } from "../src/host-check.js";
import { sameSiteLocation } from "../src/redirect.js";
import { portInAddress, sendFailure } from "../src/api/send-failure.js";

describe("the Host check (DNS rebinding)", () => {
  let web: WebService;
  beforeAll(async () => {
    web = await buildWeb({ config: testConfig({ PORTHOST_HTTP_ALLOWED_HOSTS: "porthost.lan,.example.test" }) });
  });
  afterAll(() => web.close());

  it.each([
    ["GET", "/api/messages"],
    ["DELETE", "/api/messages"],
    ["GET", "/"],
    ["GET", "/api/events/stream"],
  ])("refuses %s %s for Host attacker.example:8080 with 421 before the route runs", async (method, url) => {
    const response = await web.app.inject({ method: method as "GET", url, headers: { host: "attacker.example:8080" } });
    expect(response.statusCode).toBe(421);
    expect(response.json()).toMatchObject({ code: "PORTHOST_WEB_HOST_NOT_ALLOWED" });
    expect(response.json<{ message: string }>().message).toContain("PORTHOST_HTTP_ALLOWED_HOSTS");
  });

  it.each([
    "localhost",
    "localhost:8080",
    "LOCALHOST.",
    "app.localhost:5173",
    "127.0.0.1:8080",
    "10.1.2.3",
    "[::1]:8080",
    "porthost.lan:80",
    "example.test",
    "a.b.example.test",
  ])("serves Host %s", async (host) => {
    const response = await web.app.inject({ url: "/api/ports", headers: { host } });
    expect(response.statusCode).toBe(200);
  });

  it.each(["porthost.lan.attacker.example", "notexample.test", "localhost.attacker.example", "web"])(
    "refuses Host %s",
    async (host) => {
      expect((await web.app.inject({ url: "/api/ports", headers: { host } })).statusCode).toBe(421);
    },
  );

  it("allows every service's address host (compose service names) and the bound name", () => {
    const allowed = allowedHost(
      testConfig({ PORTHOST_HOST: "porthost-box", PORTHOST_HTTP_ADDR: "web:80", PORTHOST_SMTP_ADDR: "smtp:25" }),
    )!;
    expect(["web", "web:80", "smtp", "porthost-box:8080"].map(allowed)).toEqual([true, true, true, true]);
    expect(allowed("pop3")).toBe(false);
  });

  it("is off with PORTHOST_HTTP_ALLOWED_HOSTS=*", () => {
    expect(allowedHost(testConfig({ PORTHOST_HTTP_ALLOWED_HOSTS: "*" }))).toBeUndefined();
  });

  it("reads the name out of a Host header", () => {
    expect(["Example.TEST:80", "[::1]:8080", "[::1]", "host.", "host"].map(hostName)).toEqual([
      "example.test",
      "::1",
      "::1",
      "host",
      "host",
    ]);
  });
});

describe("state-changing routes take JSON bodies only (no form-post CSRF)", () => {
  let web: WebService;
  beforeAll(async () => {
    web = await buildWeb({ config: testConfig() });
  });
  afterAll(() => web.close());

  it.each([
    ["text/plain", '{"to":"a@b.test"}'],
    ["text/plain;charset=UTF-8", '{"to":"a@b.test"}'],
    ["application/x-www-form-urlencoded", "to=a%40b.test"],
    [
      "multipart/form-data; boundary=x",
      '--x\r\nContent-Disposition: form-data; name="to"\r\n\r\na@b.test\r\n--x--\r\n',
    ],
  ])("POST /api/send with %s is 415", async (type, payload) => {
    const response = await web.app.inject({
      method: "POST",
      url: "/api/send",
      payload,
      headers: { "content-type": type },
    });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ code: "FST_ERR_CTP_INVALID_MEDIA_TYPE" });
  });

  it("DELETE /api/messages/<id> with a text/plain body is 415, without a body it runs", async () => {
    const withBody = await web.app.inject({
      method: "DELETE",
      url: "/api/messages/nope",
      payload: "x",
      headers: { "content-type": "text/plain" },
    });
    expect(withBody.statusCode).toBe(415);
    const without = await web.app.inject({ method: "DELETE", url: "/api/messages/nope" });
    expect(without.json()).toMatchObject({ code: "PORTHOST_WEB_NO_SUCH_MESSAGE" });
  });
});

describe("redirects", () => {
  it.each(["//evil.example", "///evil.example/", "/\\evil.example", "\\\\evil.example", "evil", "/\\/evil", "/ok/"])(
    "%s becomes a location on this site",
    (location) => {
      const safe = sameSiteLocation(location);
      expect(safe.startsWith("/")).toBe(true);
      expect(safe[1]).not.toBe("/");
      expect(safe[1]).not.toBe("\\");
    },
  );

  it("every redirect in the web service's source goes through redirectWithinSite", async () => {
    const src = fileURLToPath(new URL("../src", import.meta.url));
    const files = (await readdir(src, { recursive: true })).filter((f) => f.endsWith(".ts"));
    const offenders: string[] = [];
    for (const file of files) {
      const text = await readFile(path.join(src, file), "utf8");
      const redirects = text.match(/\.redirect\(|["']location["']\s*[,:]/gi) ?? [];
      if (redirects.length > 0 && file !== "redirect.ts") offenders.push(file);
    }
    expect(files.length).toBeGreaterThan(10);
    expect(offenders).toEqual([]);
  });
});

describe("the true cause of a failed /api/send", () => {
  it("names an address with a port, and lets address literals through", () => {
    expect(portInAddress("root@127.0.0.1:2222")).toContain("has no port");
    expect(portInAddress("root@[IPv6:::1]")).toBeUndefined();
    expect(portInAddress("you@example.test")).toBeUndefined();
  });

  it.each([
    [{ code: "ECONNREFUSED" }, 502, "PORTHOST_WEB_UPSTREAM_DOWN", "Nothing listens at smtp:25"],
    [{ code: "ETIMEDOUT", command: "CONN" }, 502, "PORTHOST_WEB_UPSTREAM_NOT_SMTP", "no SMTP greeting"],
    [
      { code: "EPROTOCOL", command: "CONN", response: "HTTP/1.1 400" },
      502,
      "PORTHOST_WEB_UPSTREAM_NOT_SMTP",
      "HTTP/1.1",
    ],
    [{ code: "EENVELOPE", message: "No recipients defined" }, 400, "PORTHOST_WEB_NOT_A_MAIL_ADDRESS", "x@y"],
    [{ code: "EENVELOPE", responseCode: 550, message: "550 no" }, 502, "PORTHOST_WEB_UPSTREAM_REFUSED", "550"],
    [{ code: "ENOTFOUND" }, 502, "PORTHOST_WEB_UPSTREAM_DOWN", "ENOTFOUND"],
  ])("%j: %i %s", (error, status, code, words) => {
    const failure = sendFailure(error, "smtp:25", ["x@y"]);
    expect(failure).toMatchObject({ statusCode: status, code });
    expect(failure.message).toContain(words);
  });
});
