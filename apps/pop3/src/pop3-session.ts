import { randomBytes } from "node:crypto";
import type net from "node:net";
import tls from "node:tls";
import { socketTls, tlsFailureDetail, type ConnectionTls } from "@porthost/events";
import { connectionFields, type Logger } from "@porthost/log";
import { bareAddress, lockMaildrop, type MailStore, type MaildropLock } from "@porthost/mailstore";
import type { Pop3MailboxMode } from "@porthost/ports";
import { LineReader, type CommandInput } from "./line-reader.js";
import { Maildrop, type MaildropMessage, type WireSizes } from "./maildrop.js";
import type { Pop3Logins } from "./pop3-auth.js";
import { Pop3Reply, pop3Replies, printable } from "./pop3-replies.js";
import type { Pop3Transcript } from "./pop3-transcript.js";
import { recipientView } from "./recipient-view.js";
import { WireEncoder } from "./wire-encoder.js";

/** RFC 1939's states; UPDATE lasts from QUIT until the marked messages are gone. */
export type Pop3State = "authorization" | "transaction" | "update";

/** What every session of one service shares. */
export interface SessionServices {
  readonly store: MailStore;
  readonly sizes: WireSizes;
  readonly logins: Pop3Logins;
  readonly mailbox: Pop3MailboxMode;
  readonly maxLineBytes: number;
  readonly idleTimeoutMs: number;
  /** STLS is offered only with one. */
  readonly secureContext: tls.SecureContext | undefined;
  readonly serverName: string;
  readonly logger: Logger;
}

/** What a session did, for its connection event and log line. */
export interface SessionTally {
  user: string | undefined;
  loggedIn: boolean;
  failedLogins: number;
  retrieved: number;
  deleted: number;
  tls: boolean;
  /** The TLS session once its handshake is done (995 from the start, 110 after STLS). */
  tlsSession: ConnectionTls | undefined;
  /** Why a TLS handshake failed ("TLS handshake failed: ..."). */
  tlsFailure: string | undefined;
  /** Why the server ended it, when it was not the client's QUIT or close. */
  endedBy: "idle" | "shutdown" | undefined;
  error: string | undefined;
}

/** Commands read ahead of the one running (PIPELINING); past this the socket is paused. */
const MAX_QUEUED_COMMANDS = 32;
/** After the last line of a session the client has this long to close before the socket is cut. */
const CLOSE_AFTER_END_MS = 2_000; // 2 s
/** The name of the one maildrop in shared mode. */
export const SHARED_MAILDROP = "shared";
const TERMINATOR = Buffer.from(".\r\n");
const ADDRESS = /^[^@\s]+@[^@\s]+$/;
const NUMBER = /^\d{1,9}$/;
const APOP_DIGEST = /^[0-9a-fA-F]{32}$/;

/** The state each command belongs to; CAPA and QUIT are valid in both. */
const COMMAND_STATE: Readonly<Record<string, Pop3State | "any">> = {
  USER: "authorization",
  PASS: "authorization",
  APOP: "authorization",
  STLS: "authorization",
  STAT: "transaction",
  LIST: "transaction",
  RETR: "transaction",
  DELE: "transaction",
  NOOP: "transaction",
  RSET: "transaction",
  TOP: "transaction",
  UIDL: "transaction",
  CAPA: "any",
  QUIT: "any",
};

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** One POP3 conversation (RFC 1939, CAPA from RFC 2449, STLS from RFC 2595) on one socket. */
export class Pop3Session {
  state: Pop3State = "authorization";
  readonly tally: SessionTally = {
    user: undefined,
    loggedIn: false,
    failedLogins: 0,
    retrieved: 0,
    deleted: 0,
    tls: false,
    tlsSession: undefined,
    tlsFailure: undefined,
    endedBy: undefined,
    error: undefined,
  };
  /** The APOP timestamp (RFC 1939 7), in the greeting: unique per session. */
  readonly timestamp: string;
  /** Resolves once the socket has closed and the lock, if any, is released. */
  readonly closed: Promise<void>;
  /** Where each command and reply goes on record (set before start); unset: nowhere. */
  transcript: Pop3Transcript | undefined;
  private stream: net.Socket | tls.TLSSocket;
  private readonly reader: LineReader;
  private readonly queue: CommandInput[] = [];
  private readonly fields;
  private running = false;
  /** The last line is out (QUIT, idle, shutdown): input is ignored from now on. */
  private closing = false;
  private ended = false;
  private stopping = false;
  private user: string | undefined;
  private lock: MaildropLock | undefined;
  private maildrop: Maildrop | undefined;
  private readonly idle: NodeJS.Timeout;
  private readonly onData = (chunk: Buffer): void => this.received(chunk);

  /** On an implicit TLS port (995) `socket` is a TLS socket whose handshake is done, and STLS is not offered. */
  constructor(
    private readonly socket: net.Socket | tls.TLSSocket,
    private readonly services: SessionServices,
  ) {
    this.stream = socket;
    if (socket instanceof tls.TLSSocket) {
      this.tally.tls = true;
      this.tally.tlsSession = socketTls(socket, "implicit");
    }
    this.fields = connectionFields(socket);
    this.reader = new LineReader(services.maxLineBytes);
    this.timestamp = `<${process.pid}.${randomBytes(6).toString("hex")}.${Date.now()}@${services.serverName}>`;
    this.idle = setTimeout(() => this.idleTimeout(), services.idleTimeoutMs);
    this.idle.unref();
    socket.on("data", this.onData);
    socket.on("error", (error: NodeJS.ErrnoException) => this.noteError(error));
    this.closed = new Promise((resolve) => {
      socket.once("close", () => {
        this.ended = true;
        clearTimeout(this.idle);
        this.queue.length = 0;
        // A dropped connection never reaches UPDATE: nothing is deleted, the lock just goes.
        void this.releaseLock().then(resolve);
      });
    });
  }

  /** Sends the greeting; APOP clients read the timestamp from it. */
  start(): void {
    this.send(`+OK porthost POP3 ready ${this.timestamp}`);
  }

  /** Shutdown: a session between commands is told at once; one mid-command after it. */
  stop(): void {
    this.stopping = true;
    if (!this.running && !this.closing) this.end(pop3Replies.shuttingDown().line, "shutdown");
  }

  /** Cuts the connection at once, without UPDATE. */
  destroy(): void {
    this.stream.destroy();
  }

  private received(chunk: Buffer): void {
    if (this.closing || this.ended) return;
    this.idle.refresh();
    this.queue.push(...this.reader.push(chunk));
    if (this.queue.length > MAX_QUEUED_COMMANDS) this.stream.pause();
    void this.run();
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let input = this.queue.shift(); input && !this.closing && !this.ended; input = this.queue.shift()) {
        await this.drained();
        if (this.closing || this.ended) break;
        if (this.stream.isPaused() && this.queue.length <= MAX_QUEUED_COMMANDS / 2) this.stream.resume();
        await this.handle(input);
        if (this.stopping && !this.closing) this.end(pop3Replies.shuttingDown().line, "shutdown");
      }
    } catch (error) {
      this.services.logger.error({ ...this.fields, err: error }, "pop3 session failed");
      this.tally.error = "internal error";
      this.stream.destroy();
    } finally {
      this.running = false;
    }
  }

  private async handle(input: CommandInput): Promise<void> {
    this.transcript?.command(input);
    if ("tooLong" in input) return this.fail(pop3Replies.lineTooLong(this.services.maxLineBytes));
    const space = input.line.indexOf(" ");
    const keyword = (space === -1 ? input.line : input.line.slice(0, space)).toUpperCase();
    const rest = space === -1 ? "" : input.line.slice(space + 1);
    const args = rest.split(" ").filter((arg) => arg !== "");
    if (keyword.trim() === "") return this.fail(pop3Replies.emptyCommand());
    const state = COMMAND_STATE[keyword];
    if (state === undefined) return this.fail(pop3Replies.unknownCommand(keyword));
    if (state !== "any" && state !== this.state) {
      return this.fail(state === "transaction" ? pop3Replies.notLoggedIn(keyword) : pop3Replies.loggedIn(keyword));
    }
    this.services.logger.debug({ ...this.fields, command: keyword }, "pop3 command");
    switch (keyword) {
      case "USER":
        return this.userCommand(rest.trim());
      case "PASS":
        return this.passCommand(rest);
      case "APOP":
        return this.apopCommand(args);
      case "STLS":
        return this.stlsCommand(args);
      case "CAPA":
        return this.capaCommand(args);
      case "QUIT":
        return this.quitCommand(args);
      default:
        return this.transactionCommand(keyword, args);
    }
  }

  private transactionCommand(keyword: string, args: string[]): Promise<void> | void {
    const maildrop = this.maildrop as Maildrop;
    switch (keyword) {
      case "STAT": {
        if (args.length > 0) return this.fail(pop3Replies.arguments(keyword, "no arguments"));
        const { count, octets } = maildrop.totals();
        return this.send(`+OK ${count} ${octets}`);
      }
      case "LIST":
      case "UIDL": {
        if (args.length > 1) return this.fail(pop3Replies.arguments(keyword, "at most one message number"));
        const show = (m: MaildropMessage): string => `${m.number} ${keyword === "LIST" ? m.size : m.uid}`;
        if (args[0] !== undefined) {
          const message = this.pick(args[0]);
          return message instanceof Pop3Reply ? this.fail(message) : this.send(`+OK ${show(message)}`);
        }
        const { count, octets } = maildrop.totals();
        const first =
          keyword === "LIST" ? `+OK ${plural(count, "message")} (${octets} octets)` : "+OK unique-id listing follows";
        return this.sendLines(first, maildrop.present().map(show));
      }
      case "RETR":
      case "DELE": {
        if (args.length !== 1) return this.fail(pop3Replies.arguments(keyword, "one message number"));
        const message = this.pick(args[0] as string);
        if (message instanceof Pop3Reply) return this.fail(message);
        if (keyword === "DELE") {
          message.deleted = true;
          return this.send(`+OK message ${message.number} marked deleted (gone once you QUIT)`);
        }
        return this.sendMessage(`+OK ${message.size} octets`, message).then((sent) => {
          if (sent) this.tally.retrieved += 1;
        });
      }
      case "TOP": {
        if (args.length !== 2)
          return this.fail(pop3Replies.arguments(keyword, "a message number and a number of lines"));
        const message = this.pick(args[0] as string);
        if (message instanceof Pop3Reply) return this.fail(message);
        const lines = args[1] as string;
        if (!NUMBER.test(lines)) return this.fail(pop3Replies.notANumber("a number of lines", lines));
        return this.sendMessage("+OK top of message follows", message, Number(lines)).then(() => undefined);
      }
      case "NOOP":
        if (args.length > 0) return this.fail(pop3Replies.arguments(keyword, "no arguments"));
        return this.send("+OK");
      case "RSET": {
        if (args.length > 0) return this.fail(pop3Replies.arguments(keyword, "no arguments"));
        maildrop.unmarkAll();
        const { count, octets } = maildrop.totals();
        return this.send(`+OK maildrop has ${plural(count, "message")} (${octets} octets)`);
      }
    }
  }

  /** The message a number argument names, or why it names none. */
  private pick(arg: string): MaildropMessage | Pop3Reply {
    const maildrop = this.maildrop as Maildrop;
    if (!NUMBER.test(arg)) return pop3Replies.notANumber("a message number", arg);
    const number = Number(arg);
    const message = maildrop.message(number);
    if (!message) return pop3Replies.noSuchMessage(number, maildrop.highest);
    if (message.deleted) return pop3Replies.deleted(number);
    return message;
  }

  private userCommand(name: string): void {
    if (name === "") return this.fail(pop3Replies.arguments("USER", "a name"));
    if (this.services.mailbox === "recipient" && !ADDRESS.test(name)) return this.fail(pop3Replies.notAnAddress(name));
    this.user = name;
    this.send(`+OK ${printable(name)}: now PASS`);
  }

  private async passCommand(password: string): Promise<void> {
    const user = this.user;
    this.user = undefined;
    if (user === undefined) return this.fail(pop3Replies.passWithoutUser());
    if (password === "") return this.fail(pop3Replies.arguments("PASS", "a password"));
    if (!this.services.logins.password(user, password)) return this.loginFailed(user);
    return this.openMaildrop(user);
  }

  private async apopCommand(args: string[]): Promise<void> {
    this.user = undefined;
    const [name, digest] = args;
    if (args.length !== 2 || name === undefined || digest === undefined || !APOP_DIGEST.test(digest)) {
      return this.fail(pop3Replies.arguments("APOP", "a name and a 32-digit hex MD5 digest"));
    }
    if (this.services.mailbox === "recipient" && !ADDRESS.test(name)) return this.fail(pop3Replies.notAnAddress(name));
    if (!this.services.logins.apop(name, this.timestamp, digest)) return this.loginFailed(name);
    return this.openMaildrop(name);
  }

  private loginFailed(user: string): void {
    this.tally.failedLogins += 1;
    this.services.logger.info({ ...this.fields, user }, "pop3 login refused");
    this.fail(pop3Replies.badCredentials());
  }

  /** Locks the user's maildrop and takes its snapshot: the TRANSACTION state begins. */
  private async openMaildrop(user: string): Promise<void> {
    const recipient = this.services.mailbox === "recipient" ? bareAddress(user) : undefined;
    const name = recipient ?? SHARED_MAILDROP;
    let lock: MaildropLock | undefined;
    try {
      lock = await lockMaildrop(this.services.store.root, name);
    } catch (error) {
      this.services.logger.error({ ...this.fields, err: error }, "pop3 maildrop lock failed");
      return this.fail(pop3Replies.maildropUnreadable());
    }
    if (!lock) return this.fail(pop3Replies.inUse(name));
    this.lock = lock;
    try {
      this.maildrop = await Maildrop.open(this.services.store, this.services.sizes, recipient);
    } catch (error) {
      this.services.logger.error({ ...this.fields, err: error }, "pop3 maildrop unreadable");
      await this.releaseLock();
      return this.fail(pop3Replies.maildropUnreadable());
    }
    if (this.ended) return this.releaseLock();
    this.state = "transaction";
    this.tally.loggedIn = true;
    this.tally.user = user;
    const { count, octets } = this.maildrop.totals();
    this.services.logger.info({ ...this.fields, user, maildrop: name, messages: count, octets }, "pop3 login");
    this.send(`+OK ${printable(user)} has ${plural(count, "message")} (${octets} octets)`);
  }

  private capaCommand(args: string[]): void {
    if (args.length > 0) return this.fail(pop3Replies.arguments("CAPA", "no arguments"));
    const capabilities = ["TOP", "UIDL", "USER", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"];
    if (this.services.secureContext && !this.tally.tls && this.state === "authorization") capabilities.push("STLS");
    capabilities.push("IMPLEMENTATION porthost");
    this.sendLines("+OK capability list follows", capabilities);
  }

  private stlsCommand(args: string[]): void {
    const secureContext = this.services.secureContext;
    if (!secureContext) return this.fail(pop3Replies.noTls());
    if (this.tally.tls) return this.fail(pop3Replies.alreadyTls());
    if (args.length > 0) return this.fail(pop3Replies.arguments("STLS", "no arguments"));
    // Whatever came in the clear after STLS must not count once TLS is up (RFC 2595, CVE-2011-0411).
    this.reader.reset();
    this.queue.length = 0;
    this.user = undefined;
    const plain = this.socket;
    plain.off("data", this.onData);
    this.send("+OK begin TLS negotiation");
    const secure = new tls.TLSSocket(plain, { isServer: true, secureContext });
    secure.on("data", this.onData);
    secure.once("secure", () => (this.tally.tlsSession = socketTls(secure, "starttls")));
    secure.on("error", (error: NodeJS.ErrnoException) => {
      if (this.tally.tlsSession) this.noteError(error);
      else this.tally.tlsFailure ??= tlsFailureDetail(error);
      secure.destroy();
    });
    if (plain.isPaused()) plain.resume();
    this.stream = secure;
    this.tally.tls = true;
  }

  private async quitCommand(args: string[]): Promise<void> {
    if (args.length > 0) return this.fail(pop3Replies.arguments("QUIT", "no arguments"));
    const maildrop = this.maildrop;
    if (this.state === "authorization" || !maildrop) return this.end("+OK porthost POP3 signing off");
    this.state = "update";
    const { removed, failed } = await maildrop.removeMarked();
    this.tally.deleted = removed;
    const left = await maildrop.remaining().catch(() => undefined);
    await this.releaseLock();
    if (failed > 0) return this.end(pop3Replies.updateFailed(failed).line);
    const leftText = left === undefined ? "" : `, ${left} left`;
    this.end(`+OK porthost POP3 signing off (${plural(removed, "message")} deleted${leftText})`);
  }

  /**
   * RETR and TOP: the +OK line, then the message in POP3 form (CRLF, byte-stuffed), streamed
   * with backpressure, then the terminating dot. False when the message was not sent.
   */
  private async sendMessage(first: string, message: MaildropMessage, bodyLines?: number): Promise<boolean> {
    const raw = await this.services.store.openRaw(message.id).catch(() => undefined);
    if (!raw) {
      this.fail(pop3Replies.messageGone(message.number));
      return false;
    }
    const encoder = new WireEncoder({ stuff: true, ...(bodyLines === undefined ? {} : { bodyLines }) });
    this.send(first);
    try {
      for await (const chunk of recipientView(raw.stream as AsyncIterable<Buffer>, this.maildrop?.recipient)) {
        await this.write(encoder.push(chunk));
        if (encoder.done || this.ended) break;
      }
    } catch (error) {
      // Half a message is out: no -ERR can follow it, so the connection goes.
      this.services.logger.error({ ...this.fields, err: error, id: message.id }, "pop3 message read failed");
      this.stream.destroy();
      return false;
    } finally {
      raw.stream.destroy();
    }
    if (this.ended) return false;
    await this.write([...encoder.finish(), TERMINATOR]);
    return true;
  }

  /**
   * Before each command: while the client has not read the replies already sent (the socket's
   * buffer is full), its input is paused and no command runs, so a client that pipelines and
   * never reads holds one buffer of replies, not everything it asked for.
   */
  private async drained(): Promise<void> {
    if (!this.stream.writableNeedDrain) return;
    this.stream.pause();
    await this.drain();
  }

  /** Writes pieces, waiting for the client to read whenever the socket's buffer is full. */
  private async write(pieces: readonly Buffer[]): Promise<void> {
    for (const piece of pieces) {
      if (this.ended) return;
      if (!this.stream.write(piece)) await this.drain();
    }
  }

  /** Resolves once the socket's buffer has room again, or the socket has closed. */
  private async drain(): Promise<void> {
    const stream = this.stream;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        stream.off("drain", done);
        stream.off("close", done);
        resolve();
      };
      stream.on("drain", done);
      stream.on("close", done);
    });
    this.idle.refresh();
  }

  private send(line: string): void {
    if (this.ended) return;
    this.stream.write(`${line}\r\n`);
    this.transcript?.reply(line);
  }

  /** A multi-line reply: lines byte-stuffed, then the terminating dot. */
  private sendLines(first: string, lines: readonly string[]): void {
    const body = lines.map((line) => `${line.startsWith(".") ? "." : ""}${line}\r\n`).join("");
    this.send(`${first}\r\n${body}.`);
  }

  private fail(error: Pop3Reply): void {
    this.services.logger.debug({ ...this.fields, code: error.code }, "pop3 command refused");
    this.send(error.line);
  }

  /** Sends the session's last line and closes; a client that does not close is cut soon after. */
  private end(line: string, endedBy?: "idle" | "shutdown"): void {
    this.closing = true;
    if (endedBy) this.tally.endedBy = endedBy;
    clearTimeout(this.idle);
    if (this.ended) return;
    this.stream.end(`${line}\r\n`);
    this.transcript?.reply(line);
    setTimeout(() => this.stream.destroy(), CLOSE_AFTER_END_MS).unref();
  }

  private idleTimeout(): void {
    if (this.closing || this.ended) return;
    this.end(pop3Replies.idle(this.services.idleTimeoutMs).line, "idle");
  }

  private noteError(error: NodeJS.ErrnoException): void {
    this.tally.error ??= error.code ?? error.message;
  }

  private async releaseLock(): Promise<void> {
    const lock = this.lock;
    this.lock = undefined;
    await lock?.release();
  }
}
