import { describe, expect, it } from "vitest";
import { parseTraceHeaders, traceHeaders, uniqueName, type Envelope } from "../src/index.js";
import { testEnvelope } from "../src/testing.js";

const base = testEnvelope({ receivedAt: "2026-01-02T03:04:05.678Z" });

function roundTrip(envelope: Envelope): Envelope | null {
  const id = uniqueName(new Date(envelope.receivedAt));
  const text = `${traceHeaders(envelope, { name: "mail.test", sessionId: "abc123" }).toString()}Subject: x\r\n\r\nbody\r\n`;
  return parseTraceHeaders(text, id);
}

describe("trace headers", () => {
  it("write the envelope as Return-Path, Delivered-To and Received, as Postfix does", () => {
    const text = traceHeaders(
      { ...base, rcptTo: ["bob@example.test", "hidden@example.test"] },
      { name: "mail.test", sessionId: "abc123" },
    ).toString();
    expect(text).toBe(
      [
        "Return-Path: <ann@example.test>",
        "Delivered-To: bob@example.test",
        "Delivered-To: hidden@example.test",
        "Received: from client.test ([127.0.0.1]:40000)",
        "\tby mail.test (porthost smtp, [127.0.0.1]:8025)",
        "\twith ESMTP id abc123;",
        "\tFri, 02 Jan 2026 03:04:05 +0000",
        "",
      ].join("\r\n"),
    );
  });

  it.each<[string, Partial<Envelope>]>([
    ["a plain session", {}],
    ["the null sender and several recipients", { mailFrom: "", rcptTo: ["a@x.test", "b@x.test", "c@x.test"] }],
    ["TLS and AUTH (ESMTPSA)", { tls: { protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384" }, authUser: "app" }],
    ["a login name with quotes, parentheses and a line break", { authUser: 'we"ird) (name\r\nX-Evil: 1' }],
    ["SMTPUTF8 and BODY=8BITMIME", { smtputf8: true, body: "8BITMIME", rcptTo: ["jörg@exämple.test"] }],
    ["IPv6 ends", { client: { address: "::1", port: 1, helo: "[IPv6:::1]" }, server: { address: "::1", port: 25 } }],
  ])("read back what they wrote: %s", (_label, change) => {
    const envelope = { ...base, ...change };
    expect(roundTrip(envelope)).toEqual(envelope);
  });

  it("keep a line break out of the headers", () => {
    const text = traceHeaders({ ...base, authUser: "a\r\nX-Evil: 1" }).toString();
    expect(text).not.toMatch(/\r\nX-Evil/);
  });

  it("are not found in a message another program delivered", () => {
    const id = "1700000000.M1P1Q1.other";
    expect(parseTraceHeaders("Subject: x\r\n\r\nbody\r\n", id)).toBeNull();
    const postfix = [
      "Return-Path: <ann@example.test>",
      "Delivered-To: bob@example.test",
      "Received: from client.test (client.test [127.0.0.1])",
      "\tby mx.example.test (Postfix) with ESMTP id 4F1;",
      "\tFri, 02 Jan 2026 03:04:05 +0000",
      "",
    ].join("\r\n");
    expect(parseTraceHeaders(postfix, id)).toBeNull();
  });

  it("take the time from the Received date when the file name has none", () => {
    const text = traceHeaders(base).toString();
    expect(parseTraceHeaders(text, "not-a-unique-name")?.receivedAt).toBe("2026-01-02T03:04:05.000Z");
  });
});
