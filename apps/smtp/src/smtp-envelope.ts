import type { Envelope } from "@porthost/mailstore";
import type { SMTPServerSession } from "smtp-server";

/** What the session said outside the message, for the trace headers written on top of it. */
export function envelopeOf(session: SMTPServerSession, now: Date = new Date()): Envelope {
  const { mailFrom, rcptTo } = session.envelope;
  const tls = session.secure && session.tlsOptions ? session.tlsOptions : null;
  const user: unknown = session.user;
  return {
    mailFrom: mailFrom ? mailFrom.address : "",
    rcptTo: rcptTo.map((r) => r.address),
    client: { address: session.remoteAddress, port: session.remotePort, helo: session.hostNameAppearsAs || "" },
    server: { address: session.localAddress, port: session.localPort },
    tls: tls ? { protocol: tls.version ?? tls.standardName ?? "", cipher: tls.name } : null,
    authUser: typeof user === "string" ? user : null,
    receivedAt: now.toISOString(),
    smtputf8: session.envelope.smtpUtf8 === true,
    body: session.envelope.bodyType ? session.envelope.bodyType.toUpperCase() : null,
  };
}
