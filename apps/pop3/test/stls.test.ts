import type { TLSSocket } from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { testTlsMaterial } from "@porthost/testkit";
import { pop3Replies } from "../src/index.js";
import { crlfMessage, startPop3, type RunningPop3 } from "./pop3-client.js";

let running: RunningPop3 | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe("STLS (RFC 2595)", () => {
  it("is offered with a certificate, upgrades the session, and is no longer offered after", async () => {
    running = await startPop3({ tls: testTlsMaterial() });
    const id = await running.deliver(crlfMessage("secret mail", [".dot"]));
    const client = await running.connect();
    expect((await client.multi("CAPA")).lines).toContain("STLS");
    expect(await client.command("STLS extra")).toBe(pop3Replies.arguments("STLS", "no arguments").line);
    expect(await client.command("STLS")).toBe("+OK begin TLS negotiation");
    await client.startTls();
    expect((client.socket as TLSSocket).encrypted).toBe(true);
    expect((await client.multi("CAPA")).lines).not.toContain("STLS");
    expect(await client.command("STLS")).toBe(pop3Replies.alreadyTls().line);
    expect(await client.login()).toMatch(/^\+OK "user" has 1 message/);
    const retr = await client.multi("RETR 1");
    expect(retr.body.equals((await running.store.raw(id))!)).toBe(true);
    expect(await client.quit()).toMatch(/^\+OK/);
  });

  it("ignores commands sent in the clear after STLS (no command injection)", async () => {
    running = await startPop3({ tls: testTlsMaterial() });
    const client = await running.connect();
    client.write("STLS\r\nUSER injected\r\n");
    expect(await client.line()).toBe("+OK begin TLS negotiation");
    await client.startTls();
    // Had "USER injected" counted, PASS would be accepted here.
    expect(await client.command("PASS x")).toBe(pop3Replies.passWithoutUser().line);
  });

  it("a failed handshake closes the connection without harm to others", async () => {
    running = await startPop3({ tls: testTlsMaterial() });
    const bad = await running.connect();
    expect(await bad.command("STLS")).toBe("+OK begin TLS negotiation");
    bad.write("this is not a TLS ClientHello\r\n");
    await bad.closedPromise;
    const good = await running.connect();
    expect(await good.login()).toMatch(/^\+OK/);
  });
});
