import { hostname } from "node:os";
import net from "node:net";
import tls from "node:tls";
import { isPortCheck, tlsFailureDetail, tlsFailureOutcome, TLS_FAILURE_PREFIX, type EventSink } from "@porthost/events";
import { connectionFields, silentLogger, type Logger } from "@porthost/log";
import { MailStore, prepareMaildropLocks, type SessionLog } from "@porthost/mailstore";
import { POP3_DEFAULTS, type Pop3Settings, type TlsMaterial } from "@porthost/ports";
import { listenAll, listenTcp, type ListeningEndpoint } from "@porthost/runner";
import { reportConnection, sessionDetail, sessionOutcome, type ClosedConnection } from "./connection-events.js";
import { WireSizes } from "./maildrop.js";
import { Pop3Logins } from "./pop3-auth.js";
import { pop3Replies } from "./pop3-replies.js";
import { Pop3Session, type SessionServices } from "./pop3-session.js";
import { Pop3SessionRecords, type Pop3Transcript } from "./pop3-transcript.js";

/** The POP3 settings other than the TLS files, which are passed read (`tls`). */
export type Pop3Limits = Omit<Pop3Settings, "tls">;

/** A TLS handshake on 995 takes a few round trips; one not done by then (or the idle timeout, if shorter) is cut. */
export const HANDSHAKE_TIMEOUT_MS = 60_000; // 1 min, as SMTP's idle timeout bounds one on 465

/** On shutdown a session mid-command gets this long to finish before it is cut (inside runner's 5 s). */
export const CLOSE_GRACE_MS = 2_000; // 2 s

export interface Pop3Options {
  readonly host: string;
  /** POP3 (110), STLS when there is a certificate. 0 lets the system pick a free port (tests). */
  readonly port: number;
  /** POP3 over implicit TLS (995, RFC 8314): TLS from the first byte. Unset: not served; needs `tls`. */
  readonly pop3sPort?: number | undefined;
  /** The Maildir the SMTP service delivers to. */
  readonly maildir: string;
  readonly logger?: Logger;
  /** Each setting falls back to its default in POP3_DEFAULTS (@porthost/ports). */
  readonly settings?: Partial<Pop3Limits>;
  /** Certificate and key: STLS and 995 are served only with them. */
  readonly tls?: TlsMaterial | undefined;
  /** Where connection events go (the web service's live view); unset: none are sent. */
  readonly events?: EventSink | undefined;
  /** Where each session's record goes (<dataDir>/sessions); unset: none are kept. close() flushes it. */
  readonly sessions?: SessionLog | undefined;
}

export interface Pop3Service {
  listen(): Promise<ListeningEndpoint[]>;
  /** Stops accepting; sessions are told and closed without UPDATE; closes the store. */
  close(): Promise<void>;
  /** The POP3 (110) server. */
  readonly server: net.Server;
  /** The POP3S (995) server, when there is one: TLS from the first byte. */
  readonly pop3sServer: net.Server | undefined;
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
  /** 995's connections whose TLS handshake is not done yet: they count against the limit. */
  const handshaking = new Set<tls.TLSSocket>();
  let stopping = false;
  let services: SessionServices | undefined;
  const records = options.sessions && new Pop3SessionRecords(options.sessions);
  let store: MailStore | undefined;

  type Ended = Pick<ClosedConnection, "outcome" | "detail" | "tls" | "session">;
  function follow(service: "pop3" | "pop3s", socket: net.Socket, outcome: () => Ended) {
    const startedAt = Date.now();
    const fields = connectionFields(socket);
    socket.once("close", () => {
      const ended = outcome();
      const counters = { bytesIn: socket.bytesRead, bytesOut: socket.bytesWritten };
      // A port check (the switchboard's status probe, a scan) is not news: debug, not info.
      const level = isPortCheck("tcp", { bytesIn: counters.bytesIn, outcome: ended.outcome }) ? "debug" : "info";
      const { outcome: how, detail } = ended;
      logger[level](
        { ...fields, ...counters, durationMs: Date.now() - startedAt, outcome: how, detail },
        `${service} connection closed`,
      );
      reportConnection(options.events, service, { fields, startedAt, ...counters, ...ended });
    });
  }

  const sessionEnded = (session: Pop3Session): Ended => ({
    outcome: sessionOutcome(session.tally),
    detail: sessionDetail(session.tally),
    tls: session.tally.tlsSession,
    session: session.transcript?.id,
  });

  const failedHandshake = (detail: string): Ended => ({ outcome: tlsFailureOutcome(detail), detail });

  /** Over the limit (sessions and 995's handshakes) a client is refused; in plain text it hears why. */
  function refuseOverLimit(service: "pop3" | "pop3s", socket: net.Socket): boolean {
    if (services && sessions.size + handshaking.size < limits.maxConnections) return false;
    refused.add(socket);
    socket.once("close", () => refused.delete(socket));
    follow(service, socket, () => ({ outcome: "limited", detail: `connection limit ${limits.maxConnections}` }));
    // Before a handshake, plain text is only noise to a TLS client: 995 just closes.
    if (service === "pop3s") socket.destroy();
    else socket.end(`${pop3Replies.tooManyConnections(limits.maxConnections).line}\r\n`);
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    return true;
  }

  function startSession(
    socket: net.Socket | tls.TLSSocket,
    services: SessionServices,
    transcript = records?.accepted("pop3", socket),
  ): Pop3Session {
    const session = new Pop3Session(socket, services);
    session.transcript = transcript;
    sessions.add(session);
    void session.closed.then(() => {
      sessions.delete(session);
      if (transcript) records?.ended(transcript, session.tally);
    });
    session.start();
    return session;
  }

  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on("error", () => undefined);
    if (refuseOverLimit("pop3", socket) || !services) return;
    const session = startSession(socket, services);
    follow("pop3", socket, () => sessionEnded(session));
  });

  /** 995: the TLS handshake first, bounded by HANDSHAKE_TIMEOUT_MS, then the same session as on 110. */
  function acceptImplicitTls(socket: net.Socket, secureContext: tls.SecureContext): void {
    socket.on("error", () => undefined);
    if (refuseOverLimit("pop3s", socket) || !services) return;
    const sessionServices = services;
    const secure = new tls.TLSSocket(socket, { isServer: true, secureContext });
    let session: Pop3Session | undefined;
    let failure: string | undefined;
    const transcript: Pop3Transcript | undefined = records?.accepted("pop3s", socket);
    handshaking.add(secure);
    follow("pop3s", socket, () =>
      session
        ? sessionEnded(session)
        : {
            ...failedHandshake(failure ?? `${TLS_FAILURE_PREFIX}the client closed the connection`),
            session: transcript?.id,
          },
    );
    const onHandshakeTimeout = () =>
      secure.destroy(Object.assign(new Error("TLS handshake timeout"), { code: "ERR_TLS_HANDSHAKE_TIMEOUT" }));
    secure.setTimeout(Math.min(limits.idleTimeoutMs, HANDSHAKE_TIMEOUT_MS), onHandshakeTimeout);
    secure.on("error", (error) => {
      if (!session) failure ??= tlsFailureDetail(error);
    });
    secure.once("close", () => {
      handshaking.delete(secure);
      if (!session && transcript) records?.handshakeFailed(transcript, failure);
    });
    secure.once("secure", () => {
      handshaking.delete(secure);
      secure.setTimeout(0);
      secure.off("timeout", onHandshakeTimeout);
      if (stopping) return void secure.destroy();
      session = startSession(secure, sessionServices, transcript);
    });
  }

  if (options.pop3sPort !== undefined && !secureContext) {
    throw new Error("pop3s needs a certificate (tls): it is TLS from the first byte");
  }
  const pop3sServer =
    secureContext && options.pop3sPort !== undefined
      ? net.createServer({ noDelay: true }, (socket) => acceptImplicitTls(socket, secureContext))
      : undefined;
  for (const [service, listener] of [
    ["pop3", server],
    ["pop3s", pop3sServer],
  ] as const) {
    listener?.on("error", (error) => {
      if (listener.listening) logger.debug({ err: error.message }, `${service} server error`);
    });
  }

  return {
    server,
    pop3sServer,
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
      const attempts = [
        listenTcp(server, { service: "pop3", transport: "tcp", host: options.host, port: options.port }),
      ];
      if (pop3sServer && options.pop3sPort !== undefined) {
        attempts.push(
          listenTcp(pop3sServer, { service: "pop3s", transport: "tcp", host: options.host, port: options.pop3sPort }),
        );
      }
      try {
        return await listenAll(attempts);
      } catch (error) {
        for (const s of [server, pop3sServer]) {
          if (s?.listening) await new Promise((resolve) => s.close(resolve));
        }
        await store.close();
        throw error;
      }
    },
    async close() {
      stopping = true;
      const listening = [server, pop3sServer].filter((s): s is net.Server => s?.listening === true);
      if (listening.length > 0) {
        const stopped = Promise.all(listening.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
        // A handshake in progress has no session to finish: it goes now.
        for (const secure of handshaking) secure.destroy();
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
      await options.sessions?.flush();
      await store?.close();
    },
  };
}
