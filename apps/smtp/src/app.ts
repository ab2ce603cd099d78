import { hostname } from "node:os";
import type { SMTPServerDataStream } from "smtp-server";
import type { EventSink } from "@porthost/events";
import { silentLogger, type Logger } from "@porthost/log";
import { MailStore } from "@porthost/mailstore";
import { SMTP_DEFAULTS, type SmtpSettings, type SmtpUser, type TlsMaterial } from "@porthost/ports";
import { listenTcp, type ListeningEndpoint } from "@porthost/runner";
import { PorthostSMTPServer } from "./porthost-smtp-server.js";
import { SmtpConnectionEvents } from "./connection-events.js";
import { authenticator } from "./smtp-auth.js";
import { envelopeOf } from "./smtp-envelope.js";
import { queuedAs, SmtpReply, smtpReplies } from "./smtp-replies.js";

/** The SMTP settings that limit a session; the rest (users, TLS files) are passed separately. */
export type SmtpLimits = Omit<SmtpSettings, "users" | "tls">;

export interface SmtpOptions {
  readonly host: string;
  /** 0 lets the system pick a free port (tests). */
  readonly port: number;
  /** The Maildir messages are delivered to. */
  readonly maildir: string;
  readonly logger?: Logger;
  /** Each limit falls back to its default in SMTP_DEFAULTS (@porthost/ports). */
  readonly limits?: Partial<SmtpLimits>;
  /** Accounts AUTH accepts; empty or unset: any credentials. */
  readonly users?: readonly SmtpUser[];
  /** Certificate and key: STARTTLS is offered only with them. */
  readonly tls?: TlsMaterial;
  /** Retention (PORTHOST_MAIL_MAX); unset keeps everything. */
  readonly maxMessages?: number;
  /** Where connection events go (the web service's live view); unset: none are sent. */
  readonly events?: EventSink | undefined;
}

/** On shutdown, a session storing a message gets this long to finish before it is cut. */
export const CLOSE_GRACE_MS = 2_000; // 2 s

export interface SmtpService {
  listen(): Promise<ListeningEndpoint[]>;
  /** 421 to idle sessions, lets messages being stored finish, closes the store. */
  close(): Promise<void>;
  readonly server: PorthostSMTPServer;
  /** The store, once listening. */
  readonly store: MailStore | undefined;
}

export function buildSmtp(options: SmtpOptions): SmtpService {
  const logger = options.logger ?? silentLogger();
  const limits: SmtpLimits = { ...SMTP_DEFAULTS, ...options.limits };
  const name = hostname();
  const checkAuth = authenticator(options.users ?? SMTP_DEFAULTS.users);
  let store: MailStore | undefined;
  const connectionEvents = options.events ? new SmtpConnectionEvents(options.events) : undefined;

  const server = new PorthostSMTPServer(
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
      authOptional: true,
      // A local catcher usually runs without TLS; refusing AUTH in clear text would break apps.
      allowInsecureAuth: true,
      disableReverseLookup: true,
      // PIPELINING, 8BITMIME, SMTPUTF8 and ENHANCEDSTATUSCODES are on; DSN is not (nothing is relayed).
      hideENHANCEDSTATUSCODES: false,
      hideDSN: true,
      hideREQUIRETLS: true,
      ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : { disabledCommands: ["STARTTLS"] }),
      logger: false,
      onAuth(auth, _session, callback) {
        checkAuth(auth, callback);
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
              callback(null, queuedAs(message.id));
            },
            (error: unknown) => {
              if (error instanceof SmtpReply) {
                logger.info({ ...fields, code: error.responseCode, reason: error.message }, "message refused");
                connectionEvents?.refused(session.remoteAddress, session.remotePort, String(error.responseCode));
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
  );
  connectionEvents?.watch(server.server);
  // Listen errors reach listenTcp as one-line PortConfigErrors; log only what comes after.
  server.on("error", (error) => {
    if (server.server.listening) logger.debug({ err: error.message }, "smtp connection error");
  });

  return {
    server,
    get store() {
      return store;
    },
    async listen() {
      store = await MailStore.open(options.maildir, {
        maxMessages: options.maxMessages,
        onPruneError: (error) => logger.error({ err: error }, "pruning old messages failed"),
      });
      const endpoint = await listenTcp(server.server, {
        service: "smtp",
        transport: "tcp",
        host: options.host,
        port: options.port,
      });
      return [endpoint];
    },
    async close() {
      if (server.server.listening) await server.shutdown();
      await store?.close();
    },
  };
}
