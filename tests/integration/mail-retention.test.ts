import { readdir } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maildirRoot, pruneMargin } from "@porthost/mailstore";
import { readConfig } from "@porthost/ports";
import { buildPop3, type Pop3Service } from "@porthost/pop3";
import { buildSmtp, type SmtpService } from "@porthost/smtp";
import { tempDir } from "@porthost/testkit";
import { buildWeb, type WebService } from "@porthost/web";

const MAX = 30; // PORTHOST_MAIL_MAX
const MARGIN = pruneMargin(MAX);
const SENDERS = 4; // SMTP sessions delivering at once
const MESSAGES = 240; // eight times the limit: many prunes
/** Deliveries that may land while a prune runs, on top of the limit and its margin. */
const IN_FLIGHT = SENDERS;
/**
 * The most the Maildir may hold: past two margins a delivery waits for the prune before its 250,
 * so each sender adds at most one more, whatever the machine's speed.
 */
const CEILING = MAX + 2 * MARGIN + IN_FLIGHT;

let smtp: SmtpService;
let pop3: Pop3Service;
let web: WebService;
let maildir: string;
let removeData: () => Promise<void>;
const ports = { smtp: 0, pop3: 0, http: 0 };

beforeAll(async () => {
  const data = await tempDir();
  removeData = data.remove;
  maildir = maildirRoot(data.dir);
  smtp = buildSmtp({ host: "127.0.0.1", port: 0, maildir, maxMessages: MAX });
  pop3 = buildPop3({ host: "127.0.0.1", port: 0, maildir });
  const [smtpEndpoint] = await smtp.listen();
  const [pop3Endpoint] = await pop3.listen();
  web = await buildWeb({
    config: readConfig({ PORTHOST_HTTP_PORT: "0", PORTHOST_DATA_DIR: data.dir, PORTHOST_MAIL_MAX: String(MAX) }),
  });
  const [httpEndpoint] = await web.listen();
  ports.smtp = smtpEndpoint!.port;
  ports.pop3 = pop3Endpoint!.port;
  ports.http = httpEndpoint!.port;
});

afterAll(async () => {
  await Promise.all([smtp?.close(), pop3?.close(), web?.close()]);
  await removeData?.();
});

interface Listed {
  readonly id: string;
  readonly subject: string;
}

async function webList(): Promise<{ messages: Listed[]; total: number }> {
  const response = await fetch(`http://127.0.0.1:${ports.http}/api/messages?limit=500`);
  expect(response.status).toBe(200);
  return (await response.json()) as { messages: Listed[]; total: number };
}

/** A POP3 session: USER/PASS, then `commands` one by one; each reply's first line (and body for RETR/UIDL). */
async function pop3Session(commands: readonly string[]): Promise<string[]> {
  const socket = net.connect({ port: ports.pop3, host: "127.0.0.1" });
  socket.setEncoding("latin1");
  let buffered = "";
  let wake: (() => void) | undefined;
  socket.on("data", (text: string) => {
    buffered += text;
    wake?.();
  });
  const read = async (multiline: boolean): Promise<string> => {
    for (;;) {
      const end = multiline && buffered.startsWith("+OK") ? buffered.indexOf("\r\n.\r\n") : buffered.indexOf("\r\n");
      if (end !== -1) {
        const cut = end + (multiline && buffered.startsWith("+OK") ? 5 : 2);
        const reply = buffered.slice(0, cut);
        buffered = buffered.slice(cut);
        return reply;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  try {
    await read(false);
    const replies: string[] = [];
    for (const command of ["USER you", "PASS anything", ...commands, "QUIT"]) {
      socket.write(`${command}\r\n`);
      replies.push(await read(/^(RETR \d+|UIDL|LIST)$/.test(command)));
    }
    return replies.slice(2, -1);
  } finally {
    socket.destroy();
  }
}

async function maildirIds(): Promise<Set<string>> {
  const names = [...(await readdir(path.join(maildir, "new"))), ...(await readdir(path.join(maildir, "cur")))];
  return new Set(names.map((name) => name.split(":")[0]!));
}

describe("retention while mail keeps arriving: SMTP delivers, web and POP3 read", () => {
  it("the Maildir stays within the limit and its margin, and every reader sees the newest messages, none gone", async () => {
    let delivered = 0;
    // Subjects in the order their 250 came back: the order the store kept them in, give or take
    // the deliveries of the other senders in flight at that moment.
    const answered: number[] = [];
    const sending = (async () => {
      await Promise.all(
        Array.from({ length: SENDERS }, async (_, sender) => {
          const transport = nodemailer.createTransport({
            host: "127.0.0.1",
            port: ports.smtp,
            pool: true,
            maxConnections: 1,
          });
          for (let i = sender; i < MESSAGES; i += SENDERS) {
            await transport.sendMail({
              from: "app@example.test",
              to: "you@example.test",
              subject: `m${i}`,
              text: "hi",
            });
            answered.push(i);
            delivered++;
          }
          transport.close();
        }),
      );
    })();

    let webRounds = 0;
    let pop3Rounds = 0;
    const reading = async (): Promise<void> => {
      while (delivered < MESSAGES) {
        // The web: a list is at most the ceiling, whatever arrived during a prune.
        const list = await webList();
        expect(list.total).toBeLessThanOrEqual(CEILING);
        expect(list.messages.length).toBe(list.total);
        // The oldest listed is the next to be pruned: it is served whole, or gone (404) and then
        // no longer listed.
        const oldest = list.messages.at(-1);
        if (oldest) {
          const response = await fetch(`http://127.0.0.1:${ports.http}/api/messages/${oldest.id}/raw`);
          if (response.status === 404) {
            expect((await webList()).messages.map((m) => m.id)).not.toContain(oldest.id);
          } else {
            expect(response.status).toBe(200);
            expect(await response.text()).toContain(`Subject: ${oldest.subject}`);
          }
        }
        webRounds++;

        // POP3: the maildrop of a login is a snapshot; message 1 (its oldest) is either retrieved
        // whole or answered -ERR as gone, never cut short.
        const [stat, retr] = await pop3Session(["STAT", "RETR 1"]);
        expect(stat).toMatch(/^\+OK \d+ \d+\r\n$/);
        expect(Number(stat!.split(" ")[1])).toBeLessThanOrEqual(CEILING);
        if (retr!.startsWith("+OK")) expect(retr).toMatch(/Subject: m\d+\r\n[\s\S]*\r\n\.\r\n$/);
        else expect(retr).toMatch(/^-ERR /);
        pop3Rounds++;
      }
    };
    await Promise.all([sending, reading()]);
    expect(webRounds).toBeGreaterThan(0);
    expect(pop3Rounds).toBeGreaterThan(0);

    // Quiet now: once the last prune is done, every reader agrees with the Maildir.
    await expect.poll(async () => (await maildirIds()).size, { timeout: 10_000 }).toBeLessThanOrEqual(MAX + MARGIN);
    const onDisk = await maildirIds();
    expect(onDisk.size).toBeGreaterThanOrEqual(MAX);
    const list = await webList();
    expect(new Set(list.messages.map((m) => m.id))).toEqual(onDisk);
    // Oldest first: what is left is the newest deliveries. The senders drift apart on a busy
    // machine, so compare with the order the 250s came back, not with the subjects' numbers; one
    // delivery per sender may have been stored in a different order than its 250 was read.
    const kept = new Set(list.messages.map((m) => Number(m.subject.slice(1))));
    const newest = answered.slice(-(onDisk.size - IN_FLIGHT));
    expect(newest.filter((n) => !kept.has(n))).toEqual([]);
    const [uidl] = await pop3Session(["UIDL"]);
    const uids = uidl!
      .split("\r\n")
      .slice(1, -2)
      .map((line) => line.split(" ")[1]!);
    expect(new Set(uids)).toEqual(onDisk);
    // A search reads the summary file: it finds only messages still there.
    const search = await fetch(
      `http://127.0.0.1:${ports.http}/api/messages?limit=500&q=${encodeURIComponent("subject:m")}`,
    );
    const found = (await search.json()) as { messages: Listed[] };
    expect(new Set(found.messages.map((m) => m.id))).toEqual(onDisk);
  });
});
