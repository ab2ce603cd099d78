import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { tempDir } from "@porthost/testkit";
import { buildSmtp, type SmtpOptions, type SmtpService } from "../src/index.js";

export interface RunningSmtp {
  readonly smtp: SmtpService;
  readonly port: number;
  readonly maildir: string;
  /** Names in new/. */
  stored(): Promise<string[]>;
  read(id: string): Promise<Buffer>;
  stop(): Promise<void>;
}

/** An SMTP service on an ephemeral port of 127.0.0.1 with a fresh Maildir. */
export async function startSmtp(
  options: Partial<Omit<SmtpOptions, "host" | "port" | "maildir">> = {},
): Promise<RunningSmtp> {
  const { dir, remove } = await tempDir("porthost-smtp-");
  const maildir = path.join(dir, "Maildir");
  const smtp = buildSmtp({ host: "127.0.0.1", port: 0, maildir, ...options });
  const [endpoint] = await smtp.listen();
  return {
    smtp,
    port: endpoint?.port ?? 0,
    maildir,
    stored: async () => (await readdir(path.join(maildir, "new"))).sort(),
    read: (id) => readFile(path.join(maildir, "new", id)),
    async stop() {
      await smtp.close();
      await remove();
    },
  };
}
