import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTool } from "@porthost/testkit";
import { startTlsSmtp, type RunningTlsSmtp } from "./start-tls-smtp.js";

const run = promisify(execFile);

// Every client here trusts the dev CA alone and checks the chain: never -k, -noverify or rejectUnauthorized: false.
let running: RunningTlsSmtp;
beforeAll(async () => {
  running = await startTlsSmtp({ users: [{ username: "app", password: "secret" }] });
});
afterAll(async () => {
  await running.stop();
});

/**
 * openssl s_client with the given arguments; QUIT goes to its stdin at once, or once its output
 * matches `before` (-ign_eof: it then waits for the server's answer). What it printed, both streams.
 */
function sClient(args: string[], before?: RegExp): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(requireTool("openssl"), ["s_client", ...args], { stdio: ["pipe", "pipe", "pipe"] });
    // Kept apart: openssl's two streams interleave mid-line (the server's lines go to stdout).
    const streams = { stdout: "", stderr: "" };
    const quit = () => {
      if (!child.stdin.writableEnded) child.stdin.end("QUIT\r\n");
    };
    const heard = (stream: keyof typeof streams) => (chunk: Buffer) => {
      streams[stream] += chunk.toString();
      if (before?.test(streams[stream])) quit();
    };
    child.stdout.on("data", heard("stdout"));
    child.stderr.on("data", heard("stderr"));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output: `${streams.stdout}\n${streams.stderr}` }));
    if (!before) quit();
  });
}

const verified = (port: number) => [
  "-ign_eof",
  "-connect",
  `127.0.0.1:${port}`,
  "-CAfile",
  running.caPath,
  "-verify_return_error",
  "-verify_hostname",
  "localhost",
];

async function python(script: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(requireTool("python3"), ["-c", script, ...args], { encoding: "utf8" });
  return stdout;
}

describe("TLS clients on 25, 587 and 465, trusting the dev CA", () => {
  it.each([
    ["25 (STARTTLS)", "smtp"],
    ["587 (STARTTLS)", "submission"],
  ] as const)("openssl s_client -starttls smtp on %s verifies the chain", async (_what, service) => {
    const { code, output } = await sClient(["-starttls", "smtp", ...verified(running.ports[service])]);
    expect(output).toContain("Verify return code: 0 (ok)");
    expect(output).toMatch(/New, TLSv1\.3, Cipher is TLS_/);
    expect(output).toMatch(/^221 /m);
    expect(code).toBe(0);
  });

  it("openssl s_client on 465 (TLS from the first byte) verifies the chain and reads the greeting inside", async () => {
    const { code, output } = await sClient(verified(running.ports.submissions), /^220 /m);
    expect(output).toContain("Verify return code: 0 (ok)");
    expect(output).toMatch(/^220 .*porthost mail catcher/m);
    expect(code).toBe(0);
  });

  it("openssl s_client refuses the chain when it trusts another CA (the test would catch a -noverify)", async () => {
    const { code, output } = await sClient([
      "-starttls",
      "smtp",
      "-connect",
      `127.0.0.1:${running.ports.smtp}`,
      "-CAfile",
      "/etc/ssl/certs/ca-certificates.crt",
      "-verify_return_error",
    ]);
    expect(output).toMatch(/unable to get local issuer certificate|verify error/);
    expect(code).not.toBe(0);
  });

  it.each([
    ["--tls", "submission", "587 with STARTTLS"],
    ["--tlsc", "submissions", "465 with TLS on connect"],
  ] as const)("swaks %s sends with AUTH (%s, %s), verifying the chain", async (flag, service, _where) => {
    const { stdout } = await run(
      requireTool("swaks"),
      [
        "--server",
        "127.0.0.1",
        "--port",
        String(running.ports[service]),
        flag,
        "--tls-verify",
        "--tls-ca-path",
        running.caPath,
        "--auth",
        "PLAIN",
        "--auth-user",
        "app",
        "--auth-password",
        "secret",
        "--from",
        "swaks@example.test",
        "--to",
        "dev@example.test",
        "--header",
        `Subject: swaks ${flag}`,
      ],
      { encoding: "utf8" },
    );
    expect(stdout).toMatch(/TLS started with cipher TLSv1\.3/);
    const id = /<~\s+250 2\.0\.0 Ok: queued as (\S+)/.exec(stdout)?.[1] ?? "";
    const stored = (await running.read(id)).toString();
    expect(stored).toContain(`Subject: swaks ${flag}`);
    expect(stored).toContain(`[127.0.0.1]:${running.ports[service]})`);
  });

  it("Python's smtplib: starttls() on 25 and 587, SMTP_SSL on 465, with create_default_context(cafile=)", async () => {
    const script = `
import smtplib, ssl, sys
ca, plain, submission, submissions = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
context = ssl.create_default_context(cafile=ca)
def send(smtp, subject, login):
    if login:
        smtp.login("app", "secret")
    reply = smtp.sendmail("py@example.test", ["dev@example.test"], f"Subject: {subject}\\r\\n\\r\\nbody\\r\\n")
    print(subject, smtp.sock.version())
with smtplib.SMTP("127.0.0.1", plain) as smtp:
    smtp.starttls(context=context)
    send(smtp, "py-25", False)
with smtplib.SMTP("127.0.0.1", submission) as smtp:
    smtp.starttls(context=context)
    send(smtp, "py-587", True)
with smtplib.SMTP_SSL("127.0.0.1", submissions, context=context) as smtp:
    send(smtp, "py-465", True)
`;
    const { smtp, submission, submissions } = running.ports;
    const out = await python(script, running.caPath, String(smtp), String(submission), String(submissions));
    expect(out.trim().split("\n")).toEqual(["py-25 TLSv1.3", "py-587 TLSv1.3", "py-465 TLSv1.3"]);
  });

  it("Python's smtplib without the CA refuses the dev certificate", async () => {
    const script = `
import smtplib, ssl, sys
try:
    smtplib.SMTP_SSL("127.0.0.1", int(sys.argv[1]), context=ssl.create_default_context()).quit()
    print("trusted")
except ssl.SSLCertVerificationError as error:
    print("refused:", error.verify_message)
`;
    expect(await python(script, String(running.ports.submissions))).toMatch(/^refused: unable to get local issuer/);
  });
});
