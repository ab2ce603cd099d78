import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";
import { hostname } from "node:os";
import { silentLogger, type Logger } from "@porthost/log";
import { deliver, ensureMaildir } from "@porthost/mailstore";
import { listenTcp, type ListeningEndpoint } from "@porthost/runner";
import { smtpReplies } from "./smtp-errors.js";

export interface SmtpOptions {
  readonly host: string;
  readonly port: number;
  /** The Maildir messages are delivered to. */
  readonly maildir: string;
  readonly logger?: Logger;
  /** Largest message accepted, announced with SIZE. */
  readonly maxMessageBytes?: number;
}

/** On shutdown, sessions get this long to finish before a 421. */
export const CLOSE_GRACE_MS = 2_000; // 2 s

export const DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024; // 25 MiB

export interface SmtpService {
  listen(): Promise<ListeningEndpoint[]>;
  close(): Promise<void>;
  readonly server: SMTPServer;
}

/** The Received: trace header (RFC 5321 4.4), naming both ends' ports. */
function receivedHeader(session: SMTPServerSession, serverPort: number): Buffer {
  const from = `${session.clientHostname || session.remoteAddress} ([${session.remoteAddress}]:${session.remotePort})`;
  const by = `${hostname()} (porthost smtp, port ${serverPort})`;
  return Buffer.from(
    `Received: from ${from}\r\n\tby ${by}\r\n\twith ESMTP id ${session.id};\r\n\t${new Date().toUTCString()}\r\n`,
  );
}

export function buildSmtp(options: SmtpOptions): SmtpService {
  const logger = options.logger ?? silentLogger();
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  let serverPort = options.port;

  const server = new SMTPServer({
    name: hostname(),
    banner: "porthost mail catcher: accepts all mail, relays none",
    authOptional: true,
    disableReverseLookup: true,
    size: maxMessageBytes,
    logger: false,
    closeTimeout: CLOSE_GRACE_MS,
    onData(stream: SMTPServerDataStream, session, callback) {
      const fields = { port: serverPort, remote: session.remoteAddress, remotePort: session.remotePort };
      let ended = false;
      const done = (error?: Error | null, message?: string): void => {
        if (ended) return;
        ended = true;
        callback(error ?? null, message);
      };
      deliver(options.maildir, stream, {
        prefix: receivedHeader(session, serverPort),
        beforeCommit: () => {
          if (stream.sizeExceeded) throw smtpReplies.messageTooBig(maxMessageBytes);
        },
      }).then(
        (message) => {
          logger.info({ ...fields, id: message.id, bytes: message.size }, "message stored");
          done(null, `Ok: queued as ${message.id}`);
        },
        (error: unknown) => {
          if (error instanceof Error && "responseCode" in error) {
            logger.info({ ...fields, err: error.message }, "message refused");
            done(error);
          } else {
            logger.error({ ...fields, err: error }, "message not stored");
            done(smtpReplies.localError());
          }
        },
      );
    },
  });
  // Listen errors reach listenTcp as one-line PortConfigErrors; log only what comes after.
  server.on("error", (error) => {
    if (server.server.listening) logger.warn({ err: error.message }, "smtp error");
  });

  return {
    server,
    async listen() {
      await ensureMaildir(options.maildir);
      const endpoint = await listenTcp(server.server, {
        service: "smtp",
        transport: "tcp",
        host: options.host,
        port: options.port,
      });
      serverPort = endpoint.port;
      return [endpoint];
    },
    close() {
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
