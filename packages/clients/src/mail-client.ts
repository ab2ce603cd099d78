import net from "node:net";
import nodemailer from "nodemailer";
import { formatAddress, type Address } from "@porthost/ports";

export const SEND_TIMEOUT_MS = 10_000; // 10 s

export interface OutgoingMail {
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  readonly cc?: readonly string[];
  /** Recipients in the envelope only. */
  readonly bcc?: readonly string[];
  readonly replyTo?: readonly string[];
  /** Extra header fields, name to value. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Files by path, or bytes with a name; a `cid` makes it an inline part the HTML can show. */
  readonly attachments?: readonly (
    { filename: string; path: string } | { filename: string; content: Buffer; contentType?: string; cid?: string }
  )[];
}

export interface SendResult {
  /** The SMTP service this went to (`host:port`). */
  readonly server: string;
  /** The ephemeral port this side of the SMTP connection used. */
  readonly localPort: number;
  /** The server's final reply, e.g. `250 2.0.0 Ok: queued as <id>`. */
  readonly response: string;
  readonly messageId: string;
  readonly accepted: readonly string[];
}

/**
 * One message through nodemailer to an SMTP address, on a new connection. Rejects with
 * nodemailer's error (a `responseCode` when the server refused, an errno code when it could
 * not be reached).
 */
export async function sendMail(address: Address, mail: OutgoingMail, timeoutMs = SEND_TIMEOUT_MS): Promise<SendResult> {
  const { host, port } = address;
  let localPort = 0;
  const transport = nodemailer.createTransport({
    host,
    port,
    secure: false,
    ignoreTLS: true,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // Open the socket ourselves to learn which ephemeral port this side used.
    getSocket(_options, callback) {
      const socket = net.connect({ host, port });
      socket.once("error", (error) => callback(error, undefined as never));
      socket.once("connect", () => {
        localPort = socket.localPort ?? 0;
        callback(null, { connection: socket });
      });
    },
  });
  try {
    const info = await transport.sendMail({
      from: mail.from,
      to: [...mail.to],
      subject: mail.subject,
      text: mail.text,
      ...(mail.html === undefined ? {} : { html: mail.html }),
      ...(mail.cc === undefined ? {} : { cc: [...mail.cc] }),
      ...(mail.bcc === undefined ? {} : { bcc: [...mail.bcc] }),
      ...(mail.replyTo === undefined ? {} : { replyTo: [...mail.replyTo] }),
      ...(mail.headers === undefined ? {} : { headers: { ...mail.headers } }),
      attachments: [...(mail.attachments ?? [])],
    });
    return {
      server: formatAddress(address),
      localPort,
      response: info.response,
      messageId: info.messageId,
      accepted: info.accepted.map(String),
    };
  } finally {
    transport.close();
  }
}
