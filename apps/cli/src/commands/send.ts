import { access } from "node:fs/promises";
import path from "node:path";
import { formatAddress, type PorthostConfig } from "@porthost/ports";
import { sendMail } from "@porthost/clients";
import { connectionFailure, failure, usageError } from "../cli-error.js";

export interface SendArgs {
  readonly from?: string | undefined;
  readonly to?: readonly string[] | undefined;
  readonly subject?: string | undefined;
  readonly text?: string | undefined;
  readonly attach?: readonly string[] | undefined;
}

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

  const server = formatAddress(config.services.smtp.addr);
  try {
    const result = await sendMail(config.services.smtp.addr, {
      from,
      to,
      subject: args.subject ?? "Hello from porthost",
      text: args.text ?? `Sent with porthost send to ${server}.`,
      attachments,
    });
    if (json) return JSON.stringify(result, null, 2);
    return [
      `sent from local port ${result.localPort} to ${server} (smtp)`,
      `  server said: ${result.response}`,
      `  message-id: ${result.messageId}; accepted for ${result.accepted.join(", ")}`,
    ].join("\n");
  } catch (error) {
    const code = (error as { responseCode?: unknown }).responseCode;
    if (typeof code === "number") throw failure(`smtp at ${server} refused the message: ${(error as Error).message}`);
    throw connectionFailure(error, "smtp", server);
  }
}
