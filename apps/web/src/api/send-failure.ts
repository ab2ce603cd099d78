import { webErrors, type WebError } from "../web-errors.js";

/** The fields of a nodemailer error porthost reads to tell what went wrong. */
interface MailError {
  readonly code?: unknown;
  readonly command?: unknown;
  readonly responseCode?: unknown;
  readonly response?: unknown;
  readonly message?: unknown;
}

const GREETING_CHARS = 60;

/**
 * A mail address is a mailbox at a domain; a port has no place in it (the mail goes to the SMTP
 * service at PORTHOST_SMTP_ADDR whatever the domain). Undefined when `address` looks sendable.
 */
export function portInAddress(address: string): string | undefined {
  const domain = address.slice(address.lastIndexOf("@") + 1);
  // An address literal ([IPv6:...]) may hold colons; anything else after the @ may not.
  if (domain.startsWith("[") && domain.endsWith("]")) return undefined;
  return domain.includes(":")
    ? `a mail address has no port (the domain is ${JSON.stringify(domain)}); /api/send always delivers to the SMTP service`
    : undefined;
}

/**
 * What really happened when nodemailer could not send through the SMTP service at `where`:
 * nothing listening, something there that does not speak SMTP, the server refusing (its own
 * reply), or no recipient nodemailer could use.
 */
export function sendFailure(error: unknown, where: string, recipients: readonly string[]): WebError {
  const e = (error ?? {}) as MailError;
  const code = typeof e.code === "string" ? e.code : undefined;
  const message = typeof e.message === "string" ? e.message : String(error);
  if (typeof e.responseCode === "number") return webErrors.upstreamRefused("smtp", message);
  if (code === "ECONNREFUSED") return webErrors.upstreamNotListening("smtp", where);
  if (code === "EPROTOCOL" && e.command === "CONN") {
    const greeting = typeof e.response === "string" ? e.response.slice(0, GREETING_CHARS) : "";
    return webErrors.upstreamNotSpeaking("smtp", where, `greeted with ${JSON.stringify(greeting)}, not 220`);
  }
  if (code === "ETIMEDOUT" && e.command === "CONN") {
    return webErrors.upstreamNotSpeaking("smtp", where, "sent no SMTP greeting (220) in time");
  }
  if (code === "EENVELOPE" && e.responseCode === undefined) {
    return webErrors.notAMailAddress(recipients.join(", "), `nodemailer found no recipient it could use (${message})`);
  }
  return webErrors.upstreamDown("smtp", where, code ?? message);
}
