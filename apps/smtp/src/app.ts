import { hostname } from "node:os";
import type { TLSSocket } from "node:tls";
import type { SMTPServerDataStream, SMTPServerOptions } from "smtp-server";
import { socketTls, tlsFailureDetail, type EventSink } from "@porthost/events";
import { silentLogger, type Logger } from "@porthost/log";
import { MailStore, type SessionLog } from "@porthost/mailstore";
import { SMTP_DEFAULTS, type SmtpSettings, type SmtpUser, type TlsMaterial } from "@porthost/ports";
import { listenAll, listenTcp, type ListeningEndpoint } from "@porthost/runner";
import { PorthostSMTPServer, type TlsWatch } from "./porthost-smtp-server.js";
import { SmtpConnectionEvents } from "./connection-events.js";
import { SmtpSessionRecords } from "./session-records.js";
import { authenticator } from "./smtp-auth.js";
import { envelopeOf } from "./smtp-envelope.js";
import { queuedAs, SmtpReply, smtpReplies } from "./smtp-replies.js";

/** The SMTP settings that limit a session; the accounts are passed separately. */
export type SmtpLimits = Omit<SmtpSettings, "users" | "tls">;

/** The port table's SMTP services, each its own listening port of this one app. */
export type SmtpServiceName = "smtp" | "submission" | "submissions";

export interface SmtpOptions {
  readonly host: string;
  /** SMTP (25): STARTTLS when there is a certificate, AUTH optional. 0 lets the system pick a free port (tests). */
  readonly port: number;
  /** Message submission (587, RFC 6409): STARTTLS, then AUTH before any mail. Unset: not served; needs `tls`. */
  readonly submissionPort?: number | undefined;
  /** Submission over implicit TLS (465, RFC 8314): TLS from the first byte, then AUTH. Unset: not served; needs `tls`. */
  readonly submissionsPort?: number | undefined;
  /** The Maildir messages are delivered to. */
  readonly maildir: string;
  readonly logger?: Logger;
  /** Each limit falls back to its default in SMTP_DEFAULTS (@porthost/ports); each port has them all. */
  readonly limits?: Partial<SmtpLimits>;
  /** Accounts AUTH accepts; empty or unset: any credentials. */
  readonly users?: readonly SmtpUser[];
  /** Certificate and key: without them no STARTTLS, and no submission ports. */
  readonly tls?: TlsMaterial | undefined;
  /** Retention (PORTHOST_MAIL_MAX); unset keeps everything. */
  readonly maxMessages?: number;
  /** Where connection events go (the web service's live view); unset: none are sent. */
  readonly events?: EventSink | undefined;
  /** Where each session's record goes (<dataDir>/sessions); unset: none are kept. close() flushes it. */
  readonly sessions?: SessionLog | undefined;
}

/** On shutdown, a session storing a message gets this long to finish before it is cut. */
export const CLOSE_GRACE_MS = 2_000; // 2 s

/** One listening port of the SMTP app and its server. */
export interface SmtpPort {
  readonly service: SmtpServiceName;
  readonly server: PorthostSMTPServer;
  /** TLS from the first byte: a refused client cannot be told why in plain text. */
  readonly implicitTls: boolean;
}

export interface SmtpService {
  listen(): Promise<ListeningEndpoint[]>;
  /** 421 to idle sessions, lets messages being stored finish, closes the store. */
  close(): Promise<void>;
  /** The SMTP (25) server. */
  readonly server: PorthostSMTPServer;
  /** Every port served, SMTP first. */
  readonly ports: readonly SmtpPort[];
  /** The store, once listening. */
  readonly store: MailStore | undefined;
}

/** What each port asks before mail: AUTH is optional on 25 and required on the submission ports (RFC 6409, RFC 8314). */
const PORT_RULES: Readonly<Record<SmtpServiceName, Partial<SMTPServerOptions>>> = {
  smtp: { authOptional: true, allowInsecureAuth: true },
  submission: {
    authOptional: false,
    // AUTH in clear text gets 538: STARTTLS first, as a real submission port asks.
    allowInsecureAuth: false,
    authRequiredMessage: smtpReplies.submissionNeedsAuth("STARTTLS, then AUTH").message,
  },
  submissions: {
    authOptional: false,
    secure: true,
    authRequiredMessage: smtpReplies.submissionNeedsAuth("AUTH").message,
  },
};

export function buildSmtp(options: SmtpOptions): SmtpService {
  const logger = options.logger ?? silentLogger();
  const limits: SmtpLimits = { ...SMTP_DEFAULTS, ...options.limits };
  const name = hostname();
  const checkAuth = authenticator(options.users ?? SMTP_DEFAULTS.users);
  let store: MailStore | undefined;
  const tls = options.tls;

  function buildPort(service: SmtpServiceName): SmtpPort {
    const implicitTls = service === "submissions";
    const connectionEvents = options.events ? new SmtpConnectionEvents(options.events, service) : undefined;
    const records =
      options.sessions &&
      new SmtpSessionRecords(options.sessions, service, (client, id) => connectionEvents?.session(client, id));
    const tlsWatch: TlsWatch = {
      started: (client) => {
        connectionEvents?.tlsStarted(client);
        records?.tlsStarted(client);
      },
      failed: (client, error, bytesIn) => {
        const detail = tlsFailureDetail(error);
        // A client that sent nothing checked the port (the switchboard's probe, a scan): debug, not info.
        const level = bytesIn === 0 ? "debug" : "info";
        logger[level]({ port: client.localPort, remote: client.remoteAddress, remotePort: client.remotePort }, detail);
        connectionEvents?.tlsFailed(client, error);
        records?.tlsFailed(client, error, bytesIn);
      },
    };
    const server: PorthostSMTPServer = new PorthostSMTPServer(
      {
        name,
        banner: "porthost mail catcher: accepts all mail, relays none",
        size: limits.maxMessageBytes,
        maxRecipients: limits.maxRecipients,
        maxClients: limits.maxConnections,
        socketTimeout: limits.idleTimeoutMs,
        maxCommandLength: limits.maxLineBytes,
        closeTimeout: CLOSE_GRACE_MS,
        authMethods: ["PLAIN", "LOGIN"],
        disableReverseLookup: true,
        // PIPELINING, 8BITMIME, SMTPUTF8 and ENHANCEDSTATUSCODES are on; DSN is not (nothing is relayed).
        hideENHANCEDSTATUSCODES: false,
        hideDSN: true,
        hideREQUIRETLS: true,
        ...(tls ? { key: tls.key, cert: tls.cert } : { disabledCommands: ["STARTTLS"] }),
        ...PORT_RULES[service],
        logger: records?.logger ?? false,
        // At once: smtp-server's default waits a turn (setImmediate), and a client whose first
        // command arrived in that turn (`echo QUIT | openssl s_client` on 465) was refused
        // "421 You talk too soon" though no greeting delay was set.
        onConnect(_session, callback) {
          callback();
        },
        onAuth(auth, _session, callback) {
          checkAuth(auth, callback);
        },
        onSecure(socket, session, callback) {
          const secured = socketTls(socket as TLSSocket, implicitTls ? "implicit" : "starttls");
          connectionEvents?.secured(session.remoteAddress, session.remotePort, secured);
          records?.secured(session.id, secured);
          callback();
        },
        onClose(session) {
          records?.closed(session);
        },
        onData(stream: SMTPServerDataStream, session, callback) {
          const fields = { port: session.localPort, remote: session.remoteAddress, remotePort: session.remotePort };
          if (!store) return callback(smtpReplies.localError());
          server.storing.add(session.id);
          store
            .deliver(stream, {
              envelope: envelopeOf(session),
              receivedBy: { name, sessionId: session.id },
              refuse: () => (stream.sizeExceeded ? smtpReplies.messageTooBig(limits.maxMessageBytes) : undefined),
            })
            .then(
              (message) => {
                logger.info({ ...fields, id: message.id, bytes: message.size }, "message stored");
                connectionEvents?.stored(session.remoteAddress, session.remotePort);
                records?.stored(session.id, message.id);
                callback(null, queuedAs(message.id));
              },
              (error: unknown) => {
                if (error instanceof SmtpReply) {
                  logger.info({ ...fields, code: error.responseCode, reason: error.message }, "message refused");
                  callback(error);
                } else {
                  logger.error({ ...fields, err: error }, "message not stored");
                  callback(smtpReplies.localError());
                }
              },
            )
            .finally(() => server.storing.delete(session.id));
        },
      },
      { greetingDelayMs: limits.greetingDelayMs, sessionTimeoutMs: limits.sessionTimeoutMs },
      tlsWatch,
    );
    connectionEvents?.watch(server.server);
    if (records) server.sessionOpened = (id, client) => records.opened(id, client);
    if (connectionEvents)
      server.refusal = (client, code) =>
        connectionEvents.refused(client.remoteAddress, client.remotePort, String(code));
    // Listen errors reach listenTcp as one-line PortConfigErrors; log only what comes after.
    server.on("error", (error) => {
      if (server.server.listening) logger.debug({ err: error.message }, `${service} connection error`);
    });
    return { service, server, implicitTls };
  }

  const wanted: [SmtpServiceName, number | undefined][] = [
    ["smtp", options.port],
    ["submission", options.submissionPort],
    ["submissions", options.submissionsPort],
  ];
  for (const [service, port] of wanted) {
    if (service !== "smtp" && port !== undefined && !tls) {
      throw new Error(`${service} needs a certificate (tls): it serves AUTH over TLS only`);
    }
  }
  const served = wanted.filter(([, port]) => port !== undefined) as [SmtpServiceName, number][];
  const ports = served.map(([service]) => buildPort(service));
  const [smtp] = ports as [SmtpPort, ...SmtpPort[]];

  return {
    server: smtp.server,
    ports,
    get store() {
      return store;
    },
    async listen() {
      store = await MailStore.open(options.maildir, {
        // This process writes and never lists: no inotify event and stat per delivery of its own;
        // a prune counts what is there by the directories' times instead.
        watch: false,
        maxMessages: options.maxMessages,
        onPruneError: (error) => logger.error({ err: error }, "pruning old messages failed"),
      });
      const attempts = served.map(([service, port], index) =>
        listenTcp((ports[index] as SmtpPort).server.server, { service, transport: "tcp", host: options.host, port }),
      );
      return listenAll(attempts).catch(async (error: unknown) => {
        await this.close();
        throw error;
      });
    },
    async close() {
      await Promise.all(ports.map(({ server }) => (server.server.listening ? server.shutdown() : undefined)));
      // smtp-server runs onClose a turn after the last connection closed: its record is queued then.
      await new Promise((resolve) => setImmediate(resolve));
      await options.sessions?.flush();
      await store?.close();
    },
  };
}
