import type { SMTPServerSession } from "smtp-server";

/** RFC 3848 protocol names: ESMTP, plus S for TLS and A for AUTH. */
function protocol(session: SMTPServerSession): string {
  return `ESMTP${session.secure ? "S" : ""}${session.user ? "A" : ""}`;
}

function bracketed(address: string): string {
  return address.includes(":") ? `[IPv6:${address}]` : `[${address}]`;
}

/**
 * The Received: trace header (RFC 5321 4.4) porthost puts on top of every message. It names
 * both ends' ports: which ephemeral port the client sent from and which port received it.
 */
export function receivedHeader(session: SMTPServerSession, serverName: string, now: Date = new Date()): Buffer {
  const helo = session.hostNameAppearsAs || "unknown";
  const from = `${helo} (${bracketed(session.remoteAddress)}:${session.remotePort})`;
  const by = `${serverName} (porthost smtp, ${bracketed(session.localAddress)}:${session.localPort})`;
  const rcpt = session.envelope.rcptTo;
  // Like Postfix, name the recipient only when there is one, so Bcc recipients stay hidden.
  const forClause = rcpt.length === 1 ? `\r\n\tfor <${rcpt[0]?.address}>` : "";
  return Buffer.from(
    `Received: from ${from}\r\n\tby ${by}\r\n\twith ${protocol(session)} id ${session.id}${forClause};\r\n\t${now.toUTCString().replace("GMT", "+0000")}\r\n`,
  );
}
