import { execFile } from "node:child_process";
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maildirRoot } from "@porthost/mailstore";
import { buildSmtp, type SmtpService } from "@porthost/smtp";
import { tempDir } from "@porthost/testkit";
import { cleanEnvironment } from "@porthost/ports";

const BIN = fileURLToPath(new URL("../bin/porthost.js", import.meta.url));
const run = promisify(execFile);
/** One CLI run that takes longer is hung (starting node on a busy 2-core machine takes seconds). */
const RUN_LIMIT_MS = 60_000; // 1 min
/** The tour below runs the CLI this many times, one after another. */
const TOUR_RUNS = 15;

let smtp: SmtpService;
let dataDir: string;
let removeDir: () => Promise<void>;
let env: Record<string, string>;

async function porthost(...args: string[]): Promise<{ stdout: string; code: number; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env,
      encoding: "utf8",
      timeout: RUN_LIMIT_MS,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

beforeAll(async () => {
  ({ dir: dataDir, remove: removeDir } = await tempDir("porthost-cli-mail-"));
  smtp = buildSmtp({ host: "127.0.0.1", port: 0, maildir: maildirRoot(dataDir) });
  const [endpoint] = await smtp.listen();
  env = {
    ...cleanEnvironment(),
    PORTHOST_DATA_DIR: dataDir,
    PORTHOST_PORT_OFFSET: "28000",
    PORTHOST_SMTP_ADDR: `127.0.0.1:${endpoint?.port}`,
  };
});
afterAll(async () => {
  await smtp.close();
  await removeDir();
});

describe("porthost mail where no Maildir is", () => {
  it("says where it looked, and creates nothing", async () => {
    const { dir, remove } = await tempDir("porthost-cli-nomail-");
    try {
      const here = { ...env, PORTHOST_DATA_DIR: path.join(dir, "data") };
      const list = await run(process.execPath, [BIN, "mail"], { env: here, encoding: "utf8" });
      expect(list.stdout).toContain(`no mail yet in ${path.join(dir, "data", "Maildir")}`);
      const show = await run(process.execPath, [BIN, "mail", "show", "latest"], { env: here }).catch((e: unknown) => e);
      expect(show).toMatchObject({ code: 1 });
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await remove();
    }
  });
});

describe("porthost mail", () => {
  it(
    "lists, shows, prints raw and attachments, and deletes what porthost send stored",
    async () => {
      expect((await porthost("mail")).stdout).toContain("no mail yet");
      const file = path.join(dataDir, "report.csv");
      await writeFile(file, "a,b\n1,2\n");
      const sent = await porthost("send", "--to", "dev@example.test", "--subject", "Welcome Zoë", "--attach", file);
      expect(sent.code).toBe(0);
      await porthost("send", "--to", "other@example.test", "--subject", "second");

      const list = await porthost("mail", "list");
      expect(list.stdout).toMatch(/second[\s\S]*Welcome Zoë/);
      expect(list.stdout).toContain("2 of 2 shown");
      const page = JSON.parse((await porthost("mail", "list", "--search", "zoë", "--json")).stdout);
      expect(page.total).toBe(1);
      const id: string = page.messages[0].id;
      expect((await porthost("mail", "--search", "invoice")).stdout.trim()).toBe('no message matches "invoice"');
      // A search that excludes begins with a dash: it is the option's value, not another option.
      const excluded = await porthost("mail", "list", "--search", "-zoë", "--json");
      expect(excluded.code).toBe(0);
      expect(JSON.parse(excluded.stdout).messages.map((m: { subject: string }) => m.subject)).toEqual(["second"]);

      const show = await porthost("mail", "show", id);
      expect(show.stdout).toContain("subject:  Welcome Zoë");
      expect(show.stdout).toContain("envelope: MAIL FROM:<porthost@localhost> RCPT TO:<dev@example.test>");
      expect(show.stdout).toMatch(/attached: \[0\] report\.csv text\/csv 8 bytes/);
      expect((await porthost("mail", "raw", id)).stdout).toMatch(
        /^Return-Path: <porthost@localhost>\r\nDelivered-To: dev@example\.test\r\nReceived: from /,
      );
      expect((await porthost("mail", "attachment", id, "0")).stdout).toBe("a,b\n1,2\n");
      expect(JSON.parse((await porthost("mail", "show", "latest", "--json")).stdout).summary.subject).toBe("second");

      const missing = await porthost("mail", "show", "nope");
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('no message "nope"');
      expect((await porthost("mail", "frob")).code).toBe(2);

      expect((await porthost("mail", "delete", id)).stdout).toContain(`deleted ${id}`);
      expect((await porthost("mail", "delete", "--all")).stdout).toContain("deleted 1 message");
      expect(JSON.parse((await porthost("mail", "--json")).stdout).total).toBe(0);
    },
    TOUR_RUNS * RUN_LIMIT_MS,
  );
});
