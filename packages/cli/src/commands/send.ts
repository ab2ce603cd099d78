import { access } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import nodemailer from "nodemailer";
import { formatAddress, type PorthostConfig } from "@porthost/ports";
import { connectionFailure, failure, usageError } from "../cli-error.js";

export interface SendArgs {
  readonly from?: string | undefined;
  readonly to?: readonly string[] | undefined;
  readonly subject?: string | undefined;
  readonly text?: string | undefined;
  readonly attach?: readonly string[] | undefined;
}

export interface SendResult {
  readonly server: string;
  readonly localPort: number;
  readonly response: string;
  readonly messageId: string;
  readonly accepted: readonly string[];
}

export const SEND_TIMEOUT_MS = 10_000; // 10 s

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+$/;

/** `porthost send`: one message through nodemailer to the SMTP service's address. */
export async function sendCommand(args: SendArgs, config: PorthostConfig, json: boolean): Promise<string> {
  const to = (args.to ?? [])
    .flatMap((t) => t.split(","))
    .map((t) => t.trim())
    .filter((t) => t !== "");
  if (to.length === 0) throw usageError("send needs a recipient: porthost send --to you@example.test");
  const from = args.from ?? "porthost <porthost@localhost>";
  for (const address of [...to, from.replace(/^.*<([^>]*)>\s*$/, "$1")]) {
    if (!ADDRESS.test(address)) throw usageError(`${JSON.stringify(address)} is not a mail address (name@domain)`);
  }
  const attachments = [];
  for (const file of args.attach ?? []) {
    try {
      await access(file);
    } catch {
      throw usageError(`cannot read the attachment ${file}`);
    }
    attachments.push({ filename: path.basename(file), path: path.resolve(file) });
  }

  const { host, port } = config.services.smtp.addr;
  const server = formatAddress({ host, port });
  let localPort = 0;
  const transport = nodemailer.createTransport({
    host,
    port,
    secure: false,
    ignoreTLS: true,
    connectionTimeout: SEND_TIMEOUT_MS,
    greetingTimeout: SEND_TIMEOUT_MS,
    socketTimeout: SEND_TIMEOUT_MS,
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
      from,
      to,
      subject: args.subject ?? "Hello from porthost",
      text: args.text ?? `Sent with porthost send to ${server}.`,
      attachments,
    });
    const result: SendResult = {
      server,
      localPort,
      response: info.response,
      messageId: info.messageId,
      accepted: info.accepted.map(String),
    };
    if (json) return JSON.stringify(result, null, 2);
    return [
      `sent from local port ${localPort} to ${server} (smtp)`,
      `  server said: ${info.response}`,
      `  message-id: ${info.messageId}; accepted for ${result.accepted.join(", ")}`,
    ].join("\n");
  } catch (error) {
    const code = (error as { responseCode?: unknown }).responseCode;
    if (typeof code === "number") throw failure(`smtp at ${server} refused the message: ${(error as Error).message}`);
    throw connectionFailure(error, "smtp", server);
  } finally {
    transport.close();
  }
}
