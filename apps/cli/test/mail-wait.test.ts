import { spawn } from "node:child_process";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MailStore, maildirRoot } from "@porthost/mailstore";
import { tempDir } from "@porthost/testkit";
import { cleanEnvironment } from "@porthost/ports";

const BIN = fileURLToPath(new URL("../bin/porthost.js", import.meta.url));

let dataDir: string;
let removeDir: () => Promise<void>;
let smtpSide: MailStore;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts the real command; resolves when it exits. */
function porthost(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...cleanEnvironment(), PORTHOST_DATA_DIR: dataDir },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const mail = (to: string, subject: string): Readable =>
  Readable.from([Buffer.from(`From: a@example.test\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nhello\r\n`)]);

beforeAll(async () => {
  ({ dir: dataDir, remove: removeDir } = await tempDir("porthost-cli-wait-"));
  // The SMTP service's side: another process's store that delivers into the same Maildir.
  smtpSide = await MailStore.open(maildirRoot(dataDir));
});

afterAll(async () => {
  await smtpSide.close();
  await removeDir();
});

describe("porthost mail wait", () => {
  it("exits 0 and prints the id once a message to the address is stored", async () => {
    const waiting = porthost("mail", "wait", "--to", "late@example.test", "--timeout", "60");
    const { id } = await smtpSide.deliver(mail("late@example.test", "arrives later"));
    const run = await waiting;
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${id}\n`);
  });

  it("exits 1 with one line at the timeout, and 2 for a bad --timeout or --since", async () => {
    const none = await porthost("mail", "wait", "--to", "nobody@example.test", "--timeout", "1");
    expect(none.code).toBe(1);
    expect(none.stdout).toBe("");
    expect(none.stderr).toBe("porthost: no message to nobody@example.test arrived within 1 s (--timeout)\n");
    expect((await porthost("mail", "wait", "--timeout", "0")).code).toBe(2);
    expect((await porthost("mail", "wait", "--since", "someday")).code).toBe(2);
  });
});
