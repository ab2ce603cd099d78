import { hostname } from "node:os";
import net from "node:net";
import tls from "node:tls";
import type { EventSink } from "@porthost/events";
import { connectionFields, silentLogger, type Logger } from "@porthost/log";
import { MailStore, prepareMaildropLocks } from "@porthost/mailstore";
import { POP3_DEFAULTS, type Pop3Settings, type TlsMaterial } from "@porthost/ports";
import { listenTcp, type ListeningEndpoint } from "@porthost/runner";
import { reportConnection, sessionDetail, sessionOutcome } from "./connection-events.js";
import { WireSizes } from "./maildrop.js";
import { Pop3Logins } from "./pop3-auth.js";
import { pop3Replies } from "./pop3-replies.js";
import { Pop3Session, type SessionServices } from "./pop3-session.js";

/** The POP3 settings other than the TLS files, which are passed read (`tls`). */
export type Pop3Limits = Omit<Pop3Settings, "tls">;

/** On shutdown a session mid-command gets this long to finish before it is cut (inside runner's 5 s). */
export const CLOSE_GRACE_MS = 2_000; // 2 s

export interface Pop3Options {
  readonly host: string;
  /** 0 lets the system pick a free port (tests). */
  readonly port: number;
  /** The Maildir the SMTP service delivers to. */
  readonly maildir: string;
  readonly logger?: Logger;
  /** Each setting falls back to its default in POP3_DEFAULTS (@porthost/ports). */
  readonly settings?: Partial<Pop3Limits>;
  /** Certificate and key: STLS is offered only with them. */
  readonly tls?: TlsMaterial;
  /** Where connection events go (the web service's live view); unset: none are sent. */
  readonly events?: EventSink | undefined;
}

export interface Pop3Service {
  listen(): Promise<ListeningEndpoint[]>;
  /** Stops accepting; sessions are told and closed without UPDATE; closes the store. */
  close(): Promise<void>;
  readonly server: net.Server;
  /** Sessions open now. */
  sessionCount(): number;
}

/** porthost's POP3 service (RFC 1939) over the Maildir SMTP writes. */
export function buildPop3(options: Pop3Options): Pop3Service {
  const logger = options.logger ?? silentLogger();
  const limits: Pop3Limits = { ...POP3_DEFAULTS, ...options.settings };
  const secureContext = options.tls
    ? tls.createSecureContext({ cert: options.tls.cert, key: options.tls.key })
    : undefined;
  const sessions = new Set<Pop3Session>();
  const refused = new Set<net.Socket>();
  let services: SessionServices | undefined;
  let store: MailStore | undefined;

  function follow(socket: net.Socket, outcome: () => { outcome: ReturnType<typeof sessionOutcome>; detail: string }) {
    const startedAt = Date.now();
    const fields = connectionFields(socket);
    socket.once("close", () => {
      const ended = outcome();
      const counters = { bytesIn: socket.bytesRead, bytesOut: socket.bytesWritten };
      logger.info({ ...fields, ...counters, durationMs: Date.now() - startedAt, ...ended }, "pop3 connection closed");
      reportConnection(options.events, { fields, startedAt, ...counters, ...ended });
    });
  }

  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on("error", () => undefined);
    if (!services || sessions.size >= limits.maxConnections) {
      // Over the limit the client still hears why, then the connection closes.
      refused.add(socket);
      socket.once("close", () => refused.delete(socket));
      follow(socket, () => ({ outcome: "limited", detail: `connection limit ${limits.maxConnections}` }));
      socket.end(`${pop3Replies.tooManyConnections(limits.maxConnections).line}\r\n`);
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      return;
    }
    const session = new Pop3Session(socket, services);
    sessions.add(session);
    void session.closed.then(() => sessions.delete(session));
    follow(socket, () => ({ outcome: sessionOutcome(session.tally), detail: sessionDetail(session.tally) }));
    session.start();
  });
  server.on("error", (error) => {
    if (server.listening) logger.debug({ err: error.message }, "pop3 server error");
  });

  return {
    server,
    sessionCount: () => sessions.size,
    async listen() {
      store = await MailStore.open(options.maildir);
      // Now, while the disk has room: on a full disk logins then still take a lock.
      await prepareMaildropLocks(store.root).catch((error: unknown) =>
        logger.warn({ err: error }, "pop3 could not make spare maildrop locks: logins need free space"),
      );
      services = {
        store,
        sizes: new WireSizes(store),
        logins: new Pop3Logins(limits.users),
        mailbox: limits.mailbox,
        maxLineBytes: limits.maxLineBytes,
        idleTimeoutMs: limits.idleTimeoutMs,
        secureContext,
        serverName: hostname(),
        logger,
      };
      try {
        return [await listenTcp(server, { service: "pop3", transport: "tcp", host: options.host, port: options.port })];
      } catch (error) {
        await store.close();
        throw error;
      }
    },
    async close() {
      if (server.listening) {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        const cut = setTimeout(() => {
          for (const session of sessions) session.destroy();
          for (const socket of refused) socket.destroy();
        }, CLOSE_GRACE_MS);
        cut.unref();
        for (const session of sessions) session.stop();
        await Promise.all([...sessions].map((session) => session.closed));
        await stopped;
        clearTimeout(cut);
      }
      await store?.close();
    },
  };
}
