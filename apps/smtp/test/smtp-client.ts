import net from "node:net";
import tls from "node:tls";
import { upgradeToTls } from "@porthost/testkit";

export interface Reply {
  readonly code: number;
  /** Every line of the reply, code and separator stripped. */
  readonly lines: readonly string[];
  /** The last line as sent, e.g. "250 2.0.0 Ok: queued as ...". */
  readonly text: string;
}

/** A raw SMTP client: writes exactly the bytes a test gives and reads replies line by line. */
export class RawSmtp {
  private buffer = "";
  private readonly replies: Reply[] = [];
  private readonly waiters: ((reply: Reply | undefined) => void)[] = [];
  private current: string[] = [];
  closed = false;

  private constructor(public socket: net.Socket) {
    this.listen(socket);
  }

  static connect(port: number, host = "127.0.0.1"): Promise<RawSmtp> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host }, () => resolve(new RawSmtp(socket)));
      socket.once("error", reject);
    });
  }

  /** Implicit TLS (465): TLS from the first byte, the chain checked against `ca` for localhost. */
  static connectTls(port: number, ca: string, host = "127.0.0.1"): Promise<RawSmtp> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ port, host, ca, servername: "localhost" }, () => resolve(new RawSmtp(socket)));
      socket.once("error", reject);
    });
  }

  private listen(socket: net.Socket): void {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      let newline: number;
      while ((newline = this.buffer.indexOf("\r\n")) !== -1) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 2);
        this.current.push(line.slice(4));
        if (line[3] !== "-") {
          const reply = { code: Number(line.slice(0, 3)), lines: this.current, text: line };
          this.current = [];
          const waiter = this.waiters.shift();
          if (waiter) waiter(reply);
          else this.replies.push(reply);
        }
      }
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      this.closed = true;
      for (const waiter of this.waiters.splice(0)) waiter(undefined);
    });
  }

  /** The next reply; rejects if the connection closes first. */
  reply(): Promise<Reply> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closed) return Promise.reject(new Error("connection closed"));
    return new Promise((resolve, reject) =>
      this.waiters.push((reply) => (reply ? resolve(reply) : reject(new Error("connection closed")))),
    );
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async command(line: string): Promise<Reply> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  /** Upgrades with STARTTLS already answered 220; with `ca`, the chain is checked for localhost. */
  async startTls(ca?: string): Promise<void> {
    const secure = await upgradeToTls(this.socket, ca);
    this.socket = secure;
    this.listen(secure);
  }

  /** Resolves when the server has closed the connection. */
  ended(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once("close", () => resolve()));
  }

  close(): void {
    this.socket.destroy();
  }
}
