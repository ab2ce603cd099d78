import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import nodemailer from "nodemailer";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "@porthost/testkit";
import { cleanEnvironment } from "@porthost/ports";

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const CLIENTS = 6;
/** SIGKILL lands once this many messages were answered 250, mid-load. */
const KILL_AFTER_ACKS = 120;

interface Child {
  readonly process: ChildProcess;
  readonly port: number;
}

/** Runs the real SMTP process on an ephemeral port; resolves with the port its "listening" line names. */
function startChild(dataDir: string): Promise<Child> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...cleanEnvironment(),
      PORTHOST_HOST: "127.0.0.1",
      PORTHOST_SMTP_PORT: "0",
      PORTHOST_PORT_OFFSET: "28000",
      PORTHOST_DATA_DIR: dataDir,
      PORTHOST_LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`smtp exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      if (entry.msg === "listening" && entry.port) resolve({ process: child, port: entry.port });
    });
  });
}

function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

let children: ChildProcess[] = [];
let removeDir: (() => Promise<void>) | undefined;
afterEach(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  children = [];
  await removeDir?.();
});

describe("crash safety", () => {
  it("keeps every message answered 250 whole across a SIGKILL mid-load", async () => {
    const { dir, remove } = await tempDir("porthost-crash-");
    removeDir = remove;
    const first = await startChild(dir);
    children.push(first.process);

    const acked = new Map<string, string>();
    let killed = false;
    const exited = new Promise((resolve) => first.process.once("exit", resolve));
    const client = async (c: number): Promise<void> => {
      for (let n = 0; !killed; n++) {
        // Short hex lines travel as 7bit, so the stored body is the payload byte for byte.
        const hex = randomBytes(1500 + ((c * 997 + n * 131) % 2500)).toString("hex");
        const payload = `${hex.replace(/(.{64})/g, "$1\n")}\n`;
        const transport = nodemailer.createTransport({ host: "127.0.0.1", port: first.port, ignoreTLS: true });
        try {
          const info = await transport.sendMail({
            from: `client${c}@example.test`,
            to: "sink@example.test",
            subject: `crash ${c}/${n}`,
            headers: { "X-Payload-Sha256": sha256(payload) },
            text: payload,
          });
          acked.set(info.response.split(" ").at(-1) ?? "", sha256(payload));
          if (acked.size >= KILL_AFTER_ACKS && !killed) {
            killed = true;
            first.process.kill("SIGKILL");
          }
        } catch {
          if (!killed) throw new Error("a send failed before the kill");
        } finally {
          transport.close();
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    await exited;

    const second = await startChild(dir);
    children.push(second.process);
    const maildir = path.join(dir, "Maildir");
    const present = await readdir(path.join(maildir, "new"));
    for (const id of acked.keys()) {
      expect(present).toContain(id);
    }
    // Every visible file is whole, acknowledged or not: its body matches the hash in its header.
    for (const name of present) {
      const raw = await readFile(path.join(maildir, "new", name), "utf8");
      const header = /^X-Payload-Sha256:\s+(\w+)\r$/m.exec(raw)?.[1];
      const text = raw.slice(raw.indexOf("\r\n\r\n") + 4).replace(/\r\n/g, "\n");
      expect(sha256(text)).toBe(header);
      if (acked.has(name)) expect(acked.get(name)).toBe(header);
    }
    expect(present.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);

    // The restarted service takes mail again.
    const transport = nodemailer.createTransport({ host: "127.0.0.1", port: second.port, ignoreTLS: true });
    const info = await transport.sendMail({ from: "a@example.test", to: "b@example.test", text: "after restart" });
    expect(info.response).toMatch(/^250 2\.0\.0 Ok: queued as /);
    second.process.kill("SIGTERM");
    expect(await new Promise((resolve) => second.process.once("exit", resolve))).toBe(0);
  }, 60_000);
});
