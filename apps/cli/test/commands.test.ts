import { readdir, readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildEcho, type EchoService } from "@porthost/echo";
import { maildirRoot } from "@porthost/mailstore";
import { readConfig } from "@porthost/ports";
import { buildSmtp, type SmtpService } from "@porthost/smtp";
import { tempDir } from "@porthost/testkit";
import { runCli } from "./run-cli.js";

describe("porthost --help, ports, whois", () => {
  it("prints help and exits 0", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    for (const command of ["start", "ports", "whois", "send", "echo"]) expect(result.stdout).toContain(command);
  });

  it("ports --json gives the table as this environment resolves it", async () => {
    const result = await runCli(["ports", "--json"], { PORTHOST_SMTP_PORT: "2525" });
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as { service: string; port: number; addr: string; rangeClass: string }[];
    expect(rows.find((r) => r.service === "smtp")).toMatchObject({
      port: 2525,
      addr: "127.0.0.1:2525",
      rangeClass: "user",
    });
    expect(rows.find((r) => r.service === "http")).toMatchObject({ port: 8080 });
  });

  it("ports prints a table with a way to try each service", async () => {
    const result = await runCli(["ports"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/http\s+tcp\s+80\s+8080\s+user\s+http:\/\/127\.0\.0\.1:8080\//);
    expect(result.stdout).toMatch(/smtp\s+tcp\s+25\s+8025/);
  });

  it("whois 443: https, system range", async () => {
    const result = await runCli(["whois", "443"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("443: system (well-known) ports, 0-1023");
    expect(result.stdout).toContain("https");
  });

  it("whois 9021: the vault on tcp, the third knock on udp", async () => {
    const result = await runCli(["whois", "9021"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("porthost: vault listens here (tcp)\n");
    expect(result.stdout).toContain("porthost: knock listens here (udp): knock 3 of 3 in the sequence\n");
  });

  it("whois 51000: dynamic range, and this machine's ephemeral range", async () => {
    const result = await runCli(["whois", "51000", "--json"]);
    expect(result.code).toBe(0);
    const facts = JSON.parse(result.stdout) as { rangeClass: string; ephemeral?: { contains: boolean } };
    expect(facts.rangeClass).toBe("dynamic");
    // Linux's default ephemeral range 32768-60999 holds 51000; the field exists wherever /proc does.
    if (facts.ephemeral) expect(facts.ephemeral.contains).toBe(true);
  });

  it("whois smtp: 25 and porthost's address for it", async () => {
    const result = await runCli(["whois", "smtp"], { PORTHOST_SMTP_ADDR: "mail.internal:2525" });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("well-known port: 25/tcp");
    expect(result.stdout).toContain("clients connect to mail.internal:2525");
  });

  it.each([
    [["whois", "70000"], "not a port number"],
    [["whois", "--", "-5"], "not a port number"],
    [["whois"], "needs a port number"],
    [["whois", "nosuchservice"], "no service is called"],
    [["frobnicate"], "unknown command"],
    [["ports", "--bogus"], "Unknown option"],
  ])("%j exits 2 with one clear line", async (args, text) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(text);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("a bad setting exits 2 with one line naming the variable", async () => {
    const result = await runCli(["ports"], { PORTHOST_SMTP_PORT: "abc" });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      'porthost: PORTHOST_SMTP_PORT="abc" is not a port number: use a whole number from 0 to 65535',
    );
  });
});

describe("porthost echo", () => {
  let echo: EchoService;
  let port: number;
  beforeAll(async () => {
    const config = readConfig({}, "/");
    echo = buildEcho({ host: "127.0.0.1", echoPort: 0, discardPort: 0, echo: config.echo, discard: config.discard });
    port = (await echo.listen())[0]!.port;
  });
  afterAll(() => echo.close());

  it("does a TCP round trip and shows both ports", async () => {
    const result = await runCli(["echo", "hello", "port", "seven"], { PORTHOST_ECHO_ADDR: `127.0.0.1:${port}` });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`127\\.0\\.0\\.1:(\\d+) -> 127\\.0\\.0\\.1:${port} \\(tcp\\)`));
    expect(result.stdout).toContain("hello port seven");
  });

  it("--json reports the local ephemeral port", async () => {
    const result = await runCli(["echo", "hi", "--json"], { PORTHOST_ECHO_ADDR: `127.0.0.1:${port}` });
    const body = JSON.parse(result.stdout) as { local: { port: number }; remote: { port: number }; received: string };
    expect(body.remote.port).toBe(port);
    expect(body.local.port).toBeGreaterThan(1023);
    expect(body.received).toBe("hi");
  });

  it("says clearly when nothing listens", async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const freePort = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await runCli(["echo", "hi"], { PORTHOST_ECHO_ADDR: `127.0.0.1:${freePort}` });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`nothing listens on 127.0.0.1:${freePort}`);
  });

  it("needs text", async () => {
    expect((await runCli(["echo"])).code).toBe(2);
  });
});

describe("porthost send", () => {
  let smtp: SmtpService;
  let port: number;
  let dataDir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => {
    ({ dir: dataDir, remove } = await tempDir());
    smtp = buildSmtp({ host: "127.0.0.1", port: 0, maildir: maildirRoot(dataDir) });
    port = (await smtp.listen())[0]!.port;
  });
  afterAll(async () => {
    await smtp.close();
    await remove();
  });

  it("sends one mail with an attachment; it lands in the Maildir", async () => {
    const attachment = path.join(dataDir, "notes.txt");
    await writeFile(attachment, "attached bytes");
    const result = await runCli(
      [
        "send",
        "--to",
        "you@example.test",
        "--from",
        "Me <me@example.test>",
        "--subject",
        "Ports!",
        "--text",
        "Hi there",
        "--attach",
        attachment,
      ],
      { PORTHOST_SMTP_ADDR: `127.0.0.1:${port}` },
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`sent from local port \\d+ to 127\\.0\\.0\\.1:${port}`));
    const id = /queued as (\S+)/.exec(result.stdout)?.[1];
    const stored = await readFile(path.join(maildirRoot(dataDir), "new", id!), "utf8");
    expect(stored).toContain("Subject: Ports!");
    expect(stored).toContain("notes.txt");
    expect(stored).toContain(Buffer.from("attached bytes").toString("base64"));
  });

  it.each([
    [["send"], "needs a recipient"],
    [["send", "--to", "not-an-address"], "is not a mail address"],
    [["send", "--to", "a@b.test", "--attach", "/no/such/file"], "cannot read the attachment"],
  ])("%j exits 2 with a clear line", async (args, text) => {
    const result = await runCli(args, { PORTHOST_SMTP_ADDR: `127.0.0.1:${port}` });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(text);
    expect(await readdir(path.join(maildirRoot(dataDir), "new"))).toHaveLength(1);
  });
});
