import type { Envelope } from "./envelope.js";
import type { HeaderSummary } from "./header-summary.js";

/** The bare address of `Name <addr>` or `addr`, lowercased: addresses compare case-insensitively. */
export function bareAddress(value: string): string {
  const angle = /<([^<>]*)>\s*$/.exec(value);
  return (angle?.[1] ?? value).trim().toLowerCase();
}

/**
 * Whether a message is for `address`: one of its SMTP RCPT TO (Bcc included), or, for a
 * message with no envelope (put in the Maildir by another program), its To: or Cc: headers.
 */
export function isAddressedTo(
  message: { readonly envelope: Envelope | null } & Pick<HeaderSummary, "to" | "cc">,
  address: string,
): boolean {
  const wanted = bareAddress(address);
  const recipients = message.envelope ? message.envelope.rcptTo : [...message.to, ...message.cc];
  return recipients.some((recipient) => bareAddress(recipient) === wanted);
}
