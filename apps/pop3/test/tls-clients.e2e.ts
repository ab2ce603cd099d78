import { execFile, spawn } from "node:child_process";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devCaMaterial, requireTool, type DevCaMaterial } from "@porthost/testkit";
import { crlfMessage, startPop3, type RunningPop3 } from "./pop3-client.js";

const run = promisify(execFile);

// Every client here trusts the dev CA alone and checks the chain and the name: no -noverify, no check_hostname = False.
let running: RunningPop3;
let devCa: DevCaMaterial;
let pop3sPort: number;
beforeAll(async () => {
  devCa = await devCaMaterial();
  running = await startPop3({ tls: devCa, pop3sPort: 0 });
  pop3sPort = (running.pop3.pop3sServer?.address() as AddressInfo).port;
  await running.deliver(crlfMessage("fetched over TLS"));
});
afterAll(async () => {
  await running.stop();
  await devCa.remove();
});

/** openssl s_client; QUIT goes in once its output shows `before` (-ign_eof: it waits for the answer). */
function sClient(args: string[], before: RegExp): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(requireTool("openssl"), ["s_client", "-ign_eof", ...args], { stdio: ["pipe", "pipe", "pipe"] });
    // Kept apart: openssl's two streams interleave mid-line (the server's lines go to stdout).
    const streams = { stdout: "", stderr: "" };
    const heard = (stream: keyof typeof streams) => (chunk: Buffer) => {
      streams[stream] += chunk.toString();
      if (before.test(streams[stream]) && !child.stdin.writableEnded) child.stdin.end("QUIT\r\n");
    };
    child.stdout.on("data", heard("stdout"));
    child.stderr.on("data", heard("stderr"));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output: `${streams.stdout}\n${streams.stderr}` }));
  });
}

const verified = (port: number) => [
  "-connect",
  `127.0.0.1:${port}`,
  "-CAfile",
  devCa.caPath,
  "-verify_return_error",
  "-verify_hostname",
  "localhost",
];

describe("TLS clients on 110 and 995, trusting the dev CA", () => {
  it("openssl s_client -starttls pop3 on 110 verifies the chain", async () => {
    const { code, output } = await sClient(["-starttls", "pop3", ...verified(running.port)], /Verify return code/);
    expect(output).toContain("Verify return code: 0 (ok)");
    expect(output).toMatch(/New, TLSv1\.3, Cipher is TLS_/);
    expect(output).toMatch(/^\+OK porthost POP3 signing off/m);
    expect(code).toBe(0);
  });

  it("openssl s_client on 995 (TLS from the first byte) verifies the chain and reads the greeting inside", async () => {
    const { code, output } = await sClient(verified(pop3sPort), /^\+OK porthost POP3 ready/m);
    expect(output).toContain("Verify return code: 0 (ok)");
    expect(output).toMatch(/^\+OK porthost POP3 signing off/m);
    expect(code).toBe(0);
  });

  it("Python's poplib: stls() on 110 and POP3_SSL on 995 with create_default_context(cafile=)", async () => {
    const script = `
import poplib, ssl, sys
ca, plain, implicit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
context = ssl.create_default_context(cafile=ca)
pop = poplib.POP3("127.0.0.1", plain)
pop.stls(context)
pop.user("ann"); pop.pass_("x")
print("110", pop.sock.version(), pop.stat()[0])
pop.quit()
pop = poplib.POP3_SSL("127.0.0.1", implicit, context=context)
pop.user("ann"); pop.pass_("x")
print("995", pop.sock.version(), pop.stat()[0], b"fetched over TLS" in b"\\n".join(pop.retr(1)[1]))
pop.quit()
`;
    const { stdout } = await run(
      requireTool("python3"),
      ["-c", script, devCa.caPath, String(running.port), String(pop3sPort)],
      { encoding: "utf8" },
    );
    expect(stdout.trim().split("\n")).toEqual(["110 TLSv1.3 1", "995 TLSv1.3 1 True"]);
  });
});
