import { execFile } from "node:child_process";
import { open, readdir } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mountSmallDisk, type SmallDisk } from "@porthost/mailstore/testing";
import { environmentWith } from "@porthost/ports";
import { recordProbe } from "./probe-table.js";
import { PORTHOST_BIN, startHostileHost, type HostileHost } from "./hostile-host.js";

const execFileAsync = promisify(execFile);

/** A data dir on a tmpfs this small fills in a moment; its inodes are limited too, and taken. */
const DISK_BYTES = 8 * 1024 * 1024; // 8 MiB
const DISK_INODES = 512;

/** A line-by-line client for SMTP and POP3, as a person at telnet would be. */
class LineClient {
  private buffer = "";
  private waiting: (() => void) | undefined;
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding("latin1");
    socket.on("data", (text: string) => {
      this.buffer += text;
      this.waiting?.();
    });
    socket.on("close", () => {
      this.closed = true;
      this.waiting?.();
    });
    socket.on("error", () => undefined);
  }

  static async connect(port: number): Promise<LineClient> {
    const socket = net.connect({ host: "127.0.0.1", port });
    await once(socket, "connect");
    return new LineClient(socket);
  }

  /** The next line, without CRLF. */
  async line(): Promise<string> {
    for (;;) {
      const end = this.buffer.indexOf("\r\n");
      if (end !== -1) {
        const line = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return line;
      }
      if (this.closed) throw new Error(`closed; unread ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  /** The next reply; SMTP's multi-line replies (250-...) are read to their last line. */
  async reply(): Promise<string> {
    let line = await this.line();
    while (/^\d{3}-/.test(line)) line = await this.line();
    return line;
  }

  async command(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  /** A POP3 multi-line body, to its lone dot. */
  async body(): Promise<string[]> {
    const lines: string[] = [];
    for (let line = await this.line(); line !== "."; line = await this.line()) lines.push(line);
    return lines;
  }

  close(): void {
    this.socket.destroy();
  }
}

function once(socket: net.Socket, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once(event, () => resolve());
    socket.once("error", reject);
  });
}

/** One message through SMTP; the reply to its final dot (or the first refusal). */
async function sendOne(port: number, subject: string): Promise<string> {
  const smtp = await LineClient.connect(port);
  try {
    await smtp.reply();
    for (const command of ["EHLO probe.test", "MAIL FROM:<ann@example.test>", "RCPT TO:<bob@example.test>", "DATA"]) {
      const reply = await smtp.command(command);
      if (!/^[23]/.test(reply)) return reply;
    }
    const body = "x".repeat(76);
    return await smtp.command(`Subject: ${subject}\r\n\r\n${`${body}\r\n`.repeat(100)}.`);
  } finally {
    smtp.close();
  }
}

let disk: SmallDisk | undefined;
let host: HostileHost | undefined;
let dataDir = "";
const stored = (): Promise<string[]> => readdir(path.join(dataDir, "Maildir", "new"));

/** Fills whatever a deletion freed, and says whether the disk is full: not even an empty file fits. */
async function fullAgain(): Promise<boolean> {
  await disk!.fill();
  try {
    await (await open(path.join(disk!.dir, "one-more"), "wx")).close();
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOSPC";
  }
}

beforeAll(async () => {
  disk = await mountSmallDisk(DISK_BYTES, DISK_INODES);
  if (!disk) return;
  dataDir = path.join(disk.dir, "data");
  host = await startHostileHost({ PORTHOST_DATA_DIR: dataDir });
  for (const subject of ["one", "two", "three", "four"])
    expect(await sendOne(host.port("smtp"), subject)).toMatch(/^250/);
});
afterAll(async () => {
  await host?.close();
  await disk?.unmount();
});

describe("a full data dir (a real tmpfs, no free block, no free inode)", () => {
  it("SMTP refuses new mail with 451 and stores nothing half-written", async (context) => {
    if (!host) return context.skip("mounting a tmpfs needs root");
    expect(await fullAgain()).toBe(true);
    const before = await stored();
    const reply = await sendOne(host.port("smtp"), "five");
    const after = await stored();
    const tmp = await readdir(path.join(dataDir, "Maildir", "tmp"));
    expect(
      recordProbe({
        probe: "SMTP: a message to a full data dir",
        limit: "451, nothing stored or lost",
        observed: `${reply.slice(0, 80)}; new/ ${before.length} -> ${after.length}, tmp/ ${tmp.length}`,
        held: reply.startsWith("451") && after.length === before.length && tmp.length === 0,
      }),
    ).toBe(true);
  });

  it("POP3 logs in, retrieves and deletes on a full data dir", async (context) => {
    if (!host) return context.skip("mounting a tmpfs needs root");
    expect(await fullAgain()).toBe(true);
    const before = (await stored()).length;
    const pop3 = await LineClient.connect(host.port("pop3"));
    const replies: string[] = [await pop3.line(), await pop3.command("USER bob"), await pop3.command("PASS any")];
    const retr = await pop3.command("RETR 1");
    const body = retr.startsWith("+OK") ? await pop3.body() : [];
    replies.push(retr, await pop3.command("DELE 1"), await pop3.command("QUIT"));
    pop3.close();
    const after = (await stored()).length;
    const quit = replies.at(-1) ?? "";
    expect(
      recordProbe({
        probe: "POP3: login, RETR, DELE, QUIT on a full data dir",
        limit: "every reply +OK, the message gone",
        observed: `${replies.filter((r) => r.startsWith("+OK")).length}/${replies.length} +OK, ${body.length} lines retrieved, QUIT ${JSON.stringify(quit.slice(0, 70))}, new/ ${before} -> ${after}`,
        held: replies.every((r) => r.startsWith("+OK")) && body.length > 0 && after === before - 1,
      }),
    ).toBe(true);
  });

  it("the web lists and deletes, and the CLI lists and deletes, on a full data dir", async (context) => {
    if (!host) return context.skip("mounting a tmpfs needs root");
    // POP3's deletion freed room: take it again.
    expect(await fullAgain()).toBe(true);
    const web = `http://127.0.0.1:${host.port("http")}`;
    const listed = await fetch(`${web}/api/messages`);
    const page = (await listed.json()) as { messages: { id: string }[]; total: number };
    const first = page.messages[0]?.id ?? "none";
    const deleted = await fetch(`${web}/api/messages/${first}`, { method: "DELETE" });
    expect(await fullAgain()).toBe(true);
    const env = environmentWith({ PORTHOST_DATA_DIR: dataDir });
    const cliList = await execFileAsync(process.execPath, [PORTHOST_BIN, "mail", "list", "--json"], { env });
    const cliPage = JSON.parse(cliList.stdout) as { messages: { id: string }[]; total: number };
    const second = cliPage.messages[0]?.id ?? "none";
    const cliDelete = await execFileAsync(process.execPath, [PORTHOST_BIN, "mail", "delete", second], { env });
    const left = (await stored()).length;
    expect(
      recordProbe({
        probe: "web and CLI: list and delete on a full data dir",
        limit: "served; each message gone",
        observed: `GET ${listed.status} (${page.total}), DELETE ${deleted.status}; CLI list ${cliPage.total}, "${cliDelete.stdout.trim().slice(0, 20)}"; ${left} left`,
        held: listed.ok && deleted.status === 204 && cliPage.total === page.total - 1 && left === page.total - 2,
      }),
    ).toBe(true);
  });
});
