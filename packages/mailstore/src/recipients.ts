import type { Envelope } from "./message-schemas.js";
import type { HeaderSummary } from "./message-schemas.js";

/** The bare address of `Name <addr>` or `addr`, lowercased: addresses compare case-insensitively. */
export function bareAddress(value: string): string {
  const angle = /<([^<>]*)>\s*$/.exec(value);
  return (angle?.[1] ?? value).trim().toLowerCase();
}

type Addressed = { readonly envelope: Envelope | null } & Pick<HeaderSummary, "to" | "cc">;

/**
 * A message's recipients, bare and each once: its SMTP RCPT TO (Bcc included), or, for a
 * message with no envelope (put in the Maildir by another program), its To: and Cc: headers.
 */
export function recipientsOf(message: Addressed): Set<string> {
  return new Set((message.envelope ? message.envelope.rcptTo : [...message.to, ...message.cc]).map(bareAddress));
}

/** Whether a message is for `address`: one of recipientsOf(message). */
export function isAddressedTo(message: Addressed, address: string): boolean {
  return recipientsOf(message).has(bareAddress(address));
}
