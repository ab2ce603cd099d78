import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { socketEndpoints, type Endpoints } from "@porthost/events";
import { SMTPConnection, type SMTPConnectionOptions, type TLSError } from "smtp-server/lib/smtp-connection.js";
import { smtpReplies, STARTS_WITH_ENHANCED_CODE, type SmtpReply } from "./smtp-replies.js";

export interface SessionTiming {
  /** Pause before the 220 greeting (smtp-server's fixed early-talker delay is 100 ms); 0 greets at once. */
  readonly greetingDelayMs: number;
  /** Longest session; then 421, unless a message is being stored, which finishes first. */
  readonly sessionTimeoutMs: number;
}

/** What the server tells about TLS beyond smtp-server's onSecure: a handshake begun, and one that failed. */
export interface TlsWatch {
  /** A handshake begins: at once on an implicit TLS port, after STARTTLS's 220 on a plain one. */
  started(client: Endpoints): void;
  /** bytesIn: what the client had sent (0: it connected and left, a port check). */
  failed(client: Endpoints, error: Error, bytesIn?: number): void;
}

/** While a message is being stored its session is not cut; the deadline looks again this often. */
const DEADLINE_RECHECK_MS = 100; // 0.1 s

/** Close listeners porthost put on an accepted socket: they stay on it through STARTTLS. */
const KEPT_ON_UPGRADE = new WeakSet<(...args: never[]) => void>();

/**
 * Calls `listener` once the accepted socket closes, even after STARTTLS: smtp-server takes every
 * listener off that socket as it upgrades, and PorthostConnection puts these back.
 */
export function onAcceptedSocketClose(socket: Socket, listener: (hadError: boolean) => void): void {
  KEPT_ON_UPGRADE.add(listener);
  socket.once("close", listener);
}

function sendReply(connection: SMTPConnection, reply: SmtpReply): void {
  connection.send(reply.responseCode, reply.message);
}

/**
 * A connection that starts like smtp-server's own (SMTPConnection.init) but with the greeting
 * delay as a setting, a session deadline, and replies whose text carries its own enhanced status
 * code sent as written. smtp-server has no option for the delay, so init is replaced and calls
 * two of its internals (_setListeners, connectionReady): package.json pins the exact version and
 * test/smtp-server-internals.test.ts names whatever of them changes.
 */
class PorthostConnection extends SMTPConnection {
  private deadline: NodeJS.Timeout | undefined;
  /** STARTTLS was answered 220: an error before the session is secure is a failed handshake. */
  startedTls = false;
  /** The client's ends, read while the socket is open (a failed handshake destroys it). */
  readonly client: Endpoints;
  private readonly accepted: Socket | TLSSocket;

  constructor(
    private readonly porthost: PorthostSMTPServer,
    socket: Socket | TLSSocket,
    options?: SMTPConnectionOptions | null,
  ) {
    super(porthost, socket, options);
    this.accepted = socket;
    this.client = socketEndpoints(socket);
    // The accepted socket closes last, after a TLS socket put over it by STARTTLS.
    onAcceptedSocketClose(socket, () => clearTimeout(this.deadline));
  }

  override init(): void {
    this._setListeners(() => {
      const limit = this.porthost.options.maxClients;
      if (limit && this.porthost.connections.size > limit) {
        sendReply(this, smtpReplies.tooManyConnections(limit));
        return;
      }
      this.armDeadline(this.porthost.timing.sessionTimeoutMs);
      const delay = this.porthost.timing.greetingDelayMs;
      if (delay === 0) this.connectionReady();
      else setTimeout(() => this.connectionReady(), delay).unref();
    });
  }

  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    // smtp-server answers DATA with 2.6.0; porthost says 250 2.0.0 like Postfix.
    if (context === "DATA_OK") context = undefined;
    if (typeof data === "string" && STARTS_WITH_ENHANCED_CODE.test(data)) context = false;
    // Every refusal, smtp-server's own (530 before AUTH, 535) as well as porthost's (552); a 421
    // closes the session and says why on its own.
    if (code >= 400 && code !== 421) this.porthost.refusal?.(this.client, code);
    super.send(code, data, context);
  }

  override upgrade(callback: () => void, secureCallback?: () => void): void {
    this.startedTls = true;
    this.porthost.tlsWatch?.started(this.client);
    const kept = this.accepted.listeners("close").filter((listener) => KEPT_ON_UPGRADE.has(listener as () => void));
    super.upgrade(callback, secureCallback);
    for (const listener of kept) this.accepted.once("close", listener as (hadError: boolean) => void);
  }

  private armDeadline(ms: number): void {
    this.deadline = setTimeout(() => {
      if (this.porthost.storing.has(this.id)) return this.armDeadline(DEADLINE_RECHECK_MS);
      sendReply(this, smtpReplies.sessionTooLong(this.porthost.timing.sessionTimeoutMs));
    }, ms);
    this.deadline.unref();
  }
}

/** smtp-server with porthost's connections, and a shutdown that refuses idle sessions at once. */
export class PorthostSMTPServer extends SMTPServer {
  /** Sessions whose message is being written to disk: they finish before shutdown or deadline. */
  readonly storing = new Set<string>();
  /** Told of each session as its connection is made (before the greeting): its id and the client's ends. */
  sessionOpened?: (id: string, client: Endpoints) => void;
  /** Told of each 4xx or 5xx reply but 421, with its code. */
  refusal?: (client: Endpoints, code: number) => void;

  constructor(
    options: SMTPServerOptions,
    readonly timing: SessionTiming,
    readonly tlsWatch?: TlsWatch,
  ) {
    super(options);
  }

  /** smtp-server's own connect, with porthost's connection; a failed STARTTLS handshake is told to the TLS watch. */
  override connect(socket: Socket | TLSSocket, socketOptions?: SMTPConnectionOptions | null): void {
    const connection = new PorthostConnection(this, socket, socketOptions);
    this.sessionOpened?.(connection.id, connection.client);
    this.connections.add(connection);
    connection.on("error", (error: Error) => {
      if (connection.startedTls && !connection.secure) this.tlsWatch?.failed(connection.client, error);
      this.emit("error", error);
    });

    connection.on("connect", (data) => this.emit("connect", data));
    connection.init();
  }

  /** Implicit TLS (465): smtp-server's own handshake, told to the TLS watch as it begins and if it fails. */
  override _upgrade(socket: Socket, callback: (err: TLSError | null, tlsSocket?: TLSSocket) => void): void {
    const client = socketEndpoints(socket);
    this.tlsWatch?.started(client);
    super._upgrade(socket, (error, tlsSocket) => {
      if (error) this.tlsWatch?.failed(client, error, socket.bytesRead);
      callback(error, tlsSocket);
    });
  }

  /**
   * Stops accepting; sessions not storing a message get 421 now, the others finish their
   * message (answered 250) and get 421 on their next command; smtp-server cuts what is left
   * after its closeTimeout. Resolves once every connection is closed.
   */
  shutdown(): Promise<void> {
    return new Promise((resolve) => {
      this.close(() => resolve());
      for (const connection of this.connections) {
        if (!this.storing.has(connection.id)) sendReply(connection, smtpReplies.shuttingDown());
      }
    });
  }
}
