import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import nodemailer from "nodemailer";
import { describe, expect, it } from "vitest";
import { tempDir } from "@porthost/testkit";
import { buildSmtp } from "../src/index.js";

describe("buildSmtp", () => {
  it("stores an accepted message in new/ with a Received: header naming both ports", async () => {
    const { dir, remove } = await tempDir();
    const maildir = path.join(dir, "Maildir");
    const smtp = buildSmtp({ host: "127.0.0.1", port: 0, maildir });
    const [endpoint] = await smtp.listen();
    try {
      const transport = nodemailer.createTransport({ host: "127.0.0.1", port: endpoint!.port, ignoreTLS: true });
      const info = await transport.sendMail({
        from: "a@example.test",
        to: "b@example.test",
        subject: "hi",
        text: "body",
      });
      transport.close();
      const [file] = await readdir(path.join(maildir, "new"));
      expect(info.response).toContain(`queued as ${file}`);
      const stored = await readFile(path.join(maildir, "new", file!), "utf8");
      expect(stored).toMatch(
        new RegExp(`^Received: from .*\\(\\[127\\.0\\.0\\.1\\]:\\d+\\)\\r\\n\\tby .*port ${endpoint!.port}\\)`),
      );
      expect(stored).toContain("Subject: hi");
    } finally {
      await smtp.close();
      await remove();
    }
  });
});
