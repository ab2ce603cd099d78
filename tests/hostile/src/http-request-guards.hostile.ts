import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordProbe } from "./probe-table.js";
import { startHostileHost, type HostileHost } from "./hostile-host.js";
import { ATTACKER, request } from "./http-client.js";

let host: HostileHost;
let port: number;
beforeAll(async () => {
  host = await startHostileHost();
  port = host.port("http");
});
afterAll(() => host.close());

async function messageCount(): Promise<number> {
  const answer = await request(port, "/api/messages", { from: ATTACKER });
  return (JSON.parse(answer.body) as { messages: unknown[] }).messages.length;
}

/** One mail into porthost over SMTP, a command at a time, each after the server's reply. */
async function sendOne(): Promise<void> {
  const socket = net.connect({ host: "127.0.0.1", port: host.port("smtp") });
  const lines = ["EHLO probe", "MAIL FROM:<probe@example.test>", "RCPT TO:<you@example.test>", "DATA"];
  const replies: string[] = [];
  await new Promise<void>((resolve, reject) => {
    let buffered = "";
    socket.on("error", reject);
    socket.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      // A reply ends with a line whose code is followed by a space.
      if (!/^\d{3} .*\r\n$/m.test(buffered.split("\r\n").slice(-2).join("\r\n"))) return;
      replies.push(buffered);
      buffered = "";
      const next = lines.shift();
      if (next !== undefined) socket.write(`${next}\r\n`);
      else if (replies.length === 5) socket.write("Subject: kept\r\n\r\nkept\r\n.\r\n");
      else {
        socket.end("QUIT\r\n");
        resolve();
      }
    });
  });
  if (!replies.at(-1)?.startsWith("250")) throw new Error(`could not send the probe's mail: ${replies.join("")}`);
}

describe("HTTP request guards", () => {
  it("a foreign Host (DNS rebinding) neither reads nor deletes mail", async () => {
    await sendOne();
    const before = await messageCount();
    const hostile = { host: "attacker.example:8080" };
    const read = await request(port, "/api/messages", { headers: hostile });
    const deleted = await request(port, "/api/messages", { method: "DELETE", headers: hostile });
    const after = await messageCount();
    const held = read.status === 421 && deleted.status === 421 && !read.body.includes("kept") && after === before;
    expect(
      recordProbe({
        probe: "HTTP: Host attacker.example:8080 on GET and DELETE /api/messages",
        limit: "4xx before any route; nothing read or deleted",
        observed: `GET ${read.status}, DELETE ${deleted.status}; ${after} of ${before} messages left`,
        held,
      }),
    ).toBe(true);
  });

  it("a form or text/plain post (CSRF) sends nothing", async () => {
    const before = await messageCount();
    const statuses: number[] = [];
    for (const [type, body] of [
      ["application/x-www-form-urlencoded", "to=you%40example.test"],
      ["text/plain", '{"to":"you@example.test"}'],
      [
        "multipart/form-data; boundary=x",
        '--x\r\nContent-Disposition: form-data; name="to"\r\n\r\nyou@example.test\r\n--x--\r\n',
      ],
    ] as const) {
      statuses.push(
        (await request(port, "/api/send", { method: "POST", headers: { "content-type": type }, body })).status,
      );
    }
    const after = await messageCount();
    const held = statuses.every((s) => s === 415) && after === before;
    expect(
      recordProbe({
        probe: "HTTP: POST /api/send as a form, multipart and text/plain",
        limit: "415; nothing sent",
        observed: `${statuses.join(", ")}; ${after - before} sent`,
        held,
      }),
    ).toBe(true);
  });

  it("/api/send says the true cause", async () => {
    const withPort = await request(port, "/api/send", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ to: "root@127.0.0.1:2222" }),
    });
    const { message } = JSON.parse(withPort.body) as { message: string };
    const held = withPort.status === 400 && message.includes("has no port") && !message.includes("is it running");
    expect(
      recordProbe({
        probe: "HTTP: /api/send to root@127.0.0.1:2222",
        limit: "the true cause, not 'did not answer'",
        observed: `${withPort.status} ${message.slice(0, 70)}…`,
        held,
      }),
    ).toBe(true);
  });

  it("a static file under a foreign Host is refused too", async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port });
      let text = "";
      socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
      socket.on("close", () => resolve(text));
      socket.write("GET /index.html HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n");
    });
    const status = answer.slice(0, answer.indexOf("\r\n"));
    const held = status === "HTTP/1.1 421 Misdirected Request";
    expect(
      recordProbe({
        probe: "HTTP: Host attacker.example on a static file",
        limit: "421 (the whole site checks Host)",
        observed: status,
        held,
      }),
    ).toBe(true);
  });
});
