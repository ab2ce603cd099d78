import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import http from "node:http";
import { once } from "node:events";
import path from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MailStore, maildirRoot } from "@porthost/mailstore";
import { testEnvelope } from "@porthost/mailstore/testing";
import { findTool, freePort, tempDir } from "@porthost/testkit";
import { BIN } from "./run-cli.js";
import { cleanEnvironment } from "@porthost/ports";

const run = promisify(execFile);
/** One CLI run that takes longer is hung (starting node on a busy 2-core machine takes seconds). */
const RUN_LIMIT_MS = 60_000; // 1 min
/** Every byte value: what a terminal must not be sent. */
const BINARY = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

let checkout: string;
let removeCheckout: () => Promise<void>;
let messageId: string;
let baseEnv: Record<string, string>;

function withAttachment(): Readable {
  return Readable.from([
    [
      "From: ann@example.test",
      "To: bob@example.test",
      "Subject: the data dir",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="m1"',
      "",
      "--m1",
      "Content-Type: text/plain",
      "",
      "see the file",
      "--m1",
      'Content-Type: application/octet-stream; name="all bytes.bin"',
      'Content-Disposition: attachment; filename="all bytes.bin"',
      "Content-Transfer-Encoding: base64",
      "",
      BINARY.toString("base64"),
      "--m1--",
      "",
    ].join("\r\n"),
  ]);
}

async function porthost(args: string[], cwd: string, env = baseEnv) {
  return run(process.execPath, [BIN, ...args], { cwd, env, encoding: "utf8", timeout: RUN_LIMIT_MS });
}

beforeAll(async () => {
  // A porthost checkout: its package.json at the root, the data where npm start keeps it.
  ({ dir: checkout, remove: removeCheckout } = await tempDir("porthost-cli-checkout-"));
  await writeFile(path.join(checkout, "package.json"), JSON.stringify({ name: "porthost", private: true }));
  await mkdir(path.join(checkout, "apps", "web"), { recursive: true });
  const store = await MailStore.open(maildirRoot(path.join(checkout, "data")));
  messageId = (await store.deliver(withAttachment(), { envelope: testEnvelope() })).id;
  await store.close();
  // Nothing listens on the web port: the web service cannot be asked.
  baseEnv = { ...cleanEnvironment(), PORTHOST_HTTP_PORT: String(await freePort()) };
});
afterAll(() => removeCheckout());

describe("porthost mail finds the data the services use", () => {
  it("reads the checkout's data folder when run from apps/web, not apps/web/data", async () => {
    const fromWeb = await porthost(["mail", "--json"], path.join(checkout, "apps", "web"));
    expect((JSON.parse(fromWeb.stdout) as { messages: { id: string }[] }).messages.map((m) => m.id)).toEqual([
      messageId,
    ]);
  });

  it("reads the folder the running web service reports, from anywhere", async () => {
    const elsewhere = await tempDir("porthost-cli-elsewhere-");
    const server = http.createServer((_request, response) => {
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ dataDir: path.join(checkout, "data") }));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const port = (server.address() as { port: number }).port;
      const asked = await porthost(["mail", "show", "latest", "--json"], elsewhere.dir, {
        ...baseEnv,
        PORTHOST_HTTP_PORT: String(port),
      });
      expect(JSON.parse(asked.stdout)).toMatchObject({ summary: { id: messageId } });
    } finally {
      server.close();
      await elsewhere.remove();
    }
  });

  it("keeps PORTHOST_DATA_DIR first", async () => {
    const empty = await tempDir("porthost-cli-empty-");
    try {
      const { stdout } = await porthost(["mail"], path.join(checkout, "apps", "web"), {
        ...baseEnv,
        PORTHOST_DATA_DIR: empty.dir,
      });
      expect(stdout).toContain(`no mail yet in ${path.join(empty.dir, "Maildir")}`);
    } finally {
      await empty.remove();
    }
  });
});

describe("porthost mail attachment", () => {
  it("writes the bytes exactly to a pipe", async () => {
    const piped = await run(process.execPath, [BIN, "mail", "attachment", messageId, "0"], {
      cwd: checkout,
      env: baseEnv,
      encoding: "buffer",
      timeout: RUN_LIMIT_MS,
    });
    expect(Buffer.compare(piped.stdout, BINARY)).toBe(0);
  });

  it("prints a hint to redirect, not binary, to a terminal", async () => {
    const python = findTool("python3");
    if (!python) throw new Error("python3 is needed for this test (it gives the CLI a terminal)");
    // The CLI runs on a pseudo-terminal; the script prints everything it wrote there, then its exit status.
    const script = [
      "import os, pty, sys",
      "pid, fd = pty.fork()",
      "if pid == 0:",
      "    os.execv(sys.argv[1], sys.argv[1:])",
      "out = b''",
      "while True:",
      "    try:",
      "        chunk = os.read(fd, 4096)",
      "    except OSError:",
      "        break",
      "    if not chunk:",
      "        break",
      "    out += chunk",
      "_, status = os.waitpid(pid, 0)",
      "sys.stdout.write(out.hex() + ' ' + str(os.waitstatus_to_exitcode(status)))",
    ].join("\n");
    const { stdout } = await run(python, ["-c", script, process.execPath, BIN, "mail", "attachment", messageId, "0"], {
      cwd: checkout,
      env: baseEnv,
      encoding: "utf8",
      timeout: RUN_LIMIT_MS,
    });
    const [hex = "", code] = stdout.trim().split(" ");
    const shown = Buffer.from(hex, "hex");
    expect(code).toBe("1");
    expect(shown.includes(0)).toBe(false);
    expect(shown.toString("utf8")).toContain("redirect them to a file");
    expect(shown.toString("utf8")).toContain(`npx porthost mail attachment ${messageId} 0 > 'all bytes.bin'`);
  });
});
