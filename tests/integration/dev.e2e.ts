import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readdir, readFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { environmentWith, SERVICES } from "@porthost/ports";
import { tempDir } from "@porthost/testkit";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DEV_START_TIMEOUT_MS = 90_000; // 90 s: turbo builds dependencies, vite builds the page
const STOP_TIMEOUT_MS = 15_000; // 15 s

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** Signals npm, turbo and every app it started (they share the process group). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch (error) {
    if ((error as { code?: string }).code !== "ESRCH") throw error;
  }
}

/** An offset under which every well-known port of the table is free here now. */
async function freeOffset(): Promise<number> {
  for (let offset = 31_000; offset < 60_000; offset += 1_000) {
    const free = await Promise.all(SERVICES.map((s) => portIsFree(s.wellKnownPort + offset)));
    if (free.every(Boolean)) return offset;
  }
  throw new Error("no free port offset between 31000 and 60000");
}

/** `npm run dev` as a developer runs it: every app under watch, from the repository root. */
describe("npm run dev", () => {
  let dev: ChildProcess;
  let offset: number;
  let remove: () => Promise<void>;
  let dataDir: string;
  let output = "";

  beforeAll(async () => {
    offset = await freeOffset();
    const temp = await tempDir();
    remove = temp.remove;
    dataDir = temp.dir;
    dev = spawn("npm", ["run", "dev"], {
      cwd: REPO_ROOT,
      // A data directory relative to the root: the script must make it one place for every app.
      env: environmentWith({
        PORTHOST_PORT_OFFSET: String(offset),
        PORTHOST_DATA_DIR: path.relative(REPO_ROOT, temp.dir),
      }),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    dev.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const listening = ["http", "smtp", "echo"].map(
      (service) => `"port":${offset + wellKnown(service)},"transport":"tcp","host":"127.0.0.1","for":"${service}"`,
    );
    const deadline = Date.now() + DEV_START_TIMEOUT_MS;
    while (listening.some((line) => !output.includes(line))) {
      if (Date.now() > deadline || dev.exitCode !== null) {
        throw new Error(`npm run dev did not bring http, smtp and echo up; its output:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });
  afterAll(async () => {
    if (dev?.exitCode === null) {
      const exited = once(dev, "exit");
      killGroup(dev, "SIGINT");
      await Promise.race([exited, new Promise((r) => setTimeout(r, STOP_TIMEOUT_MS))]);
      killGroup(dev, "SIGKILL");
    }
    await remove?.();
  });

  it("takes its ports from the environment (PORTHOST_PORT_OFFSET)", async () => {
    const ports = (await (await fetch(`http://127.0.0.1:${offset + 80}/api/ports`)).json()) as {
      services: { name: string; port: number }[];
    };
    expect(ports.services.find((s) => s.name === "smtp")?.port).toBe(offset + 25);
  });

  it("shares one Maildir and one events token between the apps: mail sent to smtp is read by web", async () => {
    // Port 25 offers STARTTLS with the dev CA's leaf, which nodemailer takes up: it trusts that CA.
    const ca = await readFile(path.join(dataDir, "tls", "rootCA.pem"));
    const transport = nodemailer.createTransport({ host: "127.0.0.1", port: offset + 25, secure: false, tls: { ca } });
    const sent = await transport.sendMail({
      from: "dev@example.test",
      to: "you@example.test",
      subject: "from npm run dev",
      text: "watch mode",
    });
    transport.close();
    const id = /queued as (\S+)/.exec(sent.response)![1]!;
    await expect
      .poll(async () => {
        const list = (await (await fetch(`http://127.0.0.1:${offset + 80}/api/messages`)).json()) as {
          messages: { id: string; subject: string }[];
        };
        return list.messages.map((m) => m.subject);
      })
      .toContain("from npm run dev");
    // Relative to where npm was run, not to each app's folder.
    expect(await readdir(path.join(dataDir, "Maildir", "new"))).toContain(id);
    await expect
      .poll(async () => {
        const body = (await (await fetch(`http://127.0.0.1:${offset + 80}/api/events`)).json()) as {
          events: { service: string; localPort: number }[];
        };
        return body.events.some((e) => e.service === "smtp" && e.localPort === offset + 25);
      })
      .toBe(true);
  });
});

function wellKnown(service: string): number {
  const spec = SERVICES.find((s) => s.name === service);
  if (!spec) throw new Error(`no service ${service} in the table`);
  return spec.wellKnownPort;
}
