import net from "node:net";
import { Readable } from "node:stream";
import path from "node:path";
import tls from "node:tls";
import { MailStore } from "@porthost/mailstore";
import { testEnvelope } from "@porthost/mailstore/testing";
import { tempDir, upgradeToTls } from "@porthost/testkit";
import { buildPop3, type Pop3Options, type Pop3Service } from "../src/index.js";

const CRLF = Buffer.from("\r\n");
const TERMINATOR = Buffer.from("\r\n.\r\n");

/** A raw POP3 client: writes exactly what a test gives and reads replies as bytes. */
export class RawPop3 {
  private buffer = Buffer.alloc(0);
  private chunks: Buffer[] = [];
  /** How far the current search already looked, so a long body is not scanned again per chunk. */
  private scanned = 0;
  private waiter: (() => void) | undefined;
  closed = false;
  readonly closedPromise: Promise<void>;
  greeting = "";

  private constructor(public socket: net.Socket | tls.TLSSocket) {
    this.closedPromise = new Promise((resolve) => {
      socket.once("close", () => {
        this.closed = true;
        this.waiter?.();
        resolve();
      });
    });
    this.listen(socket);
  }

  static async connect(port: number): Promise<RawPop3> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ port, host: "127.0.0.1" }, () => resolve(s));
      s.once("error", reject);
    });
    const client = new RawPop3(socket);
    client.greeting = await client.line();
    return client;
  }

  /** POP3S (995): TLS from the first byte, the chain checked against `ca` for localhost. */
  static async connectTls(port: number, ca: string): Promise<RawPop3> {
    const socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ port, host: "127.0.0.1", ca, servername: "localhost" }, () => resolve(s));
      s.once("error", reject);
    });
    const client = new RawPop3(socket);
    client.greeting = await client.line();
    return client;
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  private listen(socket: net.Socket | tls.TLSSocket): void {
    socket.on("data", (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.waiter?.();
    });
    socket.on("error", () => undefined);
  }

  private async until(find: (buffer: Buffer, from: number) => number): Promise<Buffer> {
    for (;;) {
      if (this.chunks.length > 0) {
        this.buffer = Buffer.concat([this.buffer, ...this.chunks]);
        this.chunks = [];
      }
      const end = find(this.buffer, Math.max(0, this.scanned - 8));
      this.scanned = this.buffer.length;
      if (end !== -1) {
        const taken = this.buffer.subarray(0, end);
        this.buffer = this.buffer.subarray(end);
        this.scanned = 0;
        return taken;
      }
      if (this.closed) throw new Error(`connection closed; unread: ${JSON.stringify(this.buffer.toString("latin1"))}`);
      if (this.chunks.length === 0) await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** One reply line, without CRLF. */
  async line(): Promise<string> {
    const line = await this.until((b, from) => {
      const at = b.indexOf(CRLF, from);
      return at === -1 ? -1 : at + 2;
    });
    return line.subarray(0, -2).toString("latin1");
  }

  /** A multi-line reply's body as sent (still byte-stuffed), after its first line. */
  async body(): Promise<Buffer> {
    const body = await this.until((b, from) => {
      if (b.subarray(0, 3).equals(Buffer.from(".\r\n"))) return 3;
      const at = b.indexOf(TERMINATOR, from);
      return at === -1 ? -1 : at + TERMINATOR.length;
    });
    return body.length === 3 ? Buffer.alloc(0) : body.subarray(0, -3);
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async command(line: string): Promise<string> {
    this.write(`${line}\r\n`);
    return this.line();
  }

  /** A multi-line command: its first line and, if +OK, its body un-stuffed (what a client keeps). */
  async multi(line: string): Promise<{ first: string; body: Buffer; lines: string[] }> {
    const first = await this.command(line);
    if (!first.startsWith("+OK")) return { first, body: Buffer.alloc(0), lines: [] };
    const body = unstuff(await this.body());
    const text = body.toString("latin1");
    return { first, body, lines: text === "" ? [] : text.replace(/\r\n$/, "").split("\r\n") };
  }

  async login(user = "user", password = "pass"): Promise<string> {
    const reply = await this.command(`USER ${user}`);
    if (!reply.startsWith("+OK")) return reply;
    return this.command(`PASS ${password}`);
  }

  /** Upgrades after STLS was answered +OK. */
  /** STLS already answered +OK; with `ca` the chain is checked (the dev CA), else the test certificate is taken. */
  async startTls(ca?: string): Promise<void> {
    const secure = await upgradeToTls(this.socket, ca);
    this.socket = secure;
    this.listen(secure);
  }

  async quit(): Promise<string> {
    const reply = await this.command("QUIT");
    await this.closedPromise;
    return reply;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Reverses byte-stuffing: a line that starts with ".." loses one dot. */
export function unstuff(body: Buffer): Buffer {
  const text = body.toString("latin1");
  return Buffer.from(text.replace(/(^|\r\n)\.\./g, "$1."), "latin1");
}

export interface RunningPop3 {
  pop3: Pop3Service;
  port: number;
  maildir: string;
  /** A store of its own on the same Maildir, as the SMTP service has. */
  store: MailStore;
  deliver(content: string | Buffer, rcptTo?: string[]): Promise<string>;
  connect(): Promise<RawPop3>;
  /** Stops the service and starts a new one on the same Maildir (and the same port). */
  restart(options?: Partial<Omit<Pop3Options, "host" | "port" | "maildir">>): Promise<void>;
  stop(): Promise<void>;
}

/** A POP3 service on an ephemeral port of 127.0.0.1 with a fresh Maildir. */
export async function startPop3(
  options: Partial<Omit<Pop3Options, "host" | "port" | "maildir">> = {},
): Promise<RunningPop3> {
  const { dir, remove } = await tempDir("porthost-pop3-");
  const maildir = path.join(dir, "Maildir");
  const store = await MailStore.open(maildir);
  const clients: RawPop3[] = [];
  let pop3 = buildPop3({ host: "127.0.0.1", port: 0, maildir, ...options });
  const [endpoint] = await pop3.listen();
  const running: RunningPop3 = {
    pop3,
    port: endpoint?.port ?? 0,
    maildir,
    store,
    async deliver(content, rcptTo = ["you@example.test"]) {
      const bytes = typeof content === "string" ? Buffer.from(content, "latin1") : content;
      return (await store.deliver(Readable.from([bytes]), { envelope: testEnvelope({ rcptTo }) })).id;
    },
    async connect() {
      const client = await RawPop3.connect(running.port);
      clients.push(client);
      return client;
    },
    async restart(next = options) {
      await pop3.close();
      pop3 = buildPop3({ host: "127.0.0.1", port: running.port, maildir, ...next });
      await pop3.listen();
      running.pop3 = pop3;
    },
    async stop() {
      for (const client of clients) client.destroy();
      await pop3.close();
      await store.close();
      await remove();
    },
  };
  return running;
}

/** A message as porthost's SMTP stores it: CRLF throughout. */
export function crlfMessage(subject: string, bodyLines: string[] = ["hello"]): string {
  return [`From: ann@example.test`, `To: you@example.test`, `Subject: ${subject}`, "", ...bodyLines, ""].join("\r\n");
}
