import {
  normalizeAddress,
  tlsFailureDetail,
  tlsFailureOutcome,
  TLS_FAILURE_PREFIX,
  type ConnectionTls,
  type Endpoints,
} from "@porthost/events";
import { ELIDED, SessionTranscript, type SessionLog, type SessionOutcome } from "@porthost/mailstore";
import type { SMTPServerSession } from "smtp-server";

/** What smtp-server's logger passes: bunyan's form, a fields object, then a format and its arguments. */
interface LogFields {
  readonly tnx?: unknown;
  readonly cid?: unknown;
  readonly bytes?: unknown;
  readonly err?: unknown;
}
type LogCall = (fields: LogFields, message?: unknown, ...args: unknown[]) => void;

/** smtp-server's own mark for the AUTH secrets it leaves out of its log lines. */
const SMTP_SERVER_ELIDED = "/* secured */";
/** The idle limit (smtp-server's) and the session limit (porthost's): both end the session with 421 4.4.2. */
const TIMEOUT_REPLY = /^421 4\.4\.2 (?:Timeout|Session time limit)/;
/** The last line of a 4xx or 5xx reply. */
const NEGATIVE_REPLY = /^[45]\d\d /;

interface OpenSession {
  readonly transcript: SessionTranscript;
  readonly clientKey: string;
  tlsStarted: boolean;
  tlsFailure?: string;
  error?: string;
}

function clientKey(client: Endpoints): string {
  return `${client.remoteAddress ?? ""}|${client.remotePort ?? 0}`;
}

/** A command as it goes on record: AUTH's initial response and continuation lines never do. */
function elided(line: string): string {
  const text = line.replaceAll(SMTP_SERVER_ELIDED, ELIDED);
  const words = text.trim().split(/\s+/);
  if (words[0]?.toUpperCase() === "AUTH" && words.length > 2 && words[2] !== ELIDED) {
    return `${words[0]} ${words[1] ?? ""} ${ELIDED}`;
  }
  return text;
}

function transcriptOf(id: string | undefined, service: string, client: Endpoints, startedAt?: number) {
  return new SessionTranscript({
    ...(id === undefined ? {} : { id }),
    service,
    client: { address: normalizeAddress(client.remoteAddress), port: client.remotePort ?? 0 },
    serverPort: client.localPort ?? 0,
    ...(startedAt === undefined ? {} : { startedAt }),
  });
}

/**
 * The session records of one SMTP port. smtp-server's `logger` option hands it every command
 * (AUTH secrets already left out by smtp-server) and every reply, keyed by the session id; its
 * hooks (onSecure, onClose) and porthost's (a session opened, a message stored, a TLS handshake
 * begun or failed) fill in the rest. Everything is kept in memory until onClose, then the record
 * is queued on the SessionLog, which writes it a moment later: a reply never waits for it.
 */
export class SmtpSessionRecords {
  private readonly open = new Map<string, OpenSession>();
  private readonly byClient = new Map<string, string>();
  /** Implicit TLS handshakes that are not a session yet: when each began. */
  private readonly handshakes = new Map<string, number>();

  constructor(
    private readonly log: SessionLog,
    private readonly service: string,
    /** Tells the connection event which session it carried. */
    private readonly linked: (client: Endpoints, sessionId: string) => void,
  ) {}

  /** smtp-server's `logger` option: it keeps nothing but what transcripts need. */
  readonly logger: Record<"trace" | "debug" | "info" | "warn" | "error" | "fatal", LogCall> = {
    trace: () => undefined,
    debug: (fields, message, ...args) => this.logged(fields, message, args),
    info: (fields, message, ...args) => this.logged(fields, message, args),
    warn: () => undefined,
    error: (fields, message, ...args) => this.logged(fields, message, args),
    fatal: () => undefined,
  };

  private logged(fields: LogFields, message: unknown, args: unknown[]): void {
    const cid = typeof fields.cid === "string" ? fields.cid : undefined;
    switch (fields.tnx) {
      case "command":
        if (message === "C:" && cid) this.open.get(cid)?.transcript.clientLine(elided(String(args[0] ?? "")));
        return;
      case "send":
        if (message === "S:" && cid) this.open.get(cid)?.transcript.serverReply(String(args[0] ?? ""));
        return;
      case "data":
        if (typeof message === "string" && message.startsWith("C: <") && cid) {
          this.open.get(cid)?.transcript.note(`<message data: ${String(fields.bytes)} bytes, not on record>`);
        }
        return;
      case "error": {
        // smtp-server's connection errors name the session as the first argument.
        const open = typeof args[0] === "string" ? this.open.get(args[0]) : undefined;
        const error = fields.err as { code?: unknown; message?: unknown } | undefined;
        if (open) open.error ??= String(error?.code ?? error?.message ?? "socket error");
        return;
      }
    }
  }

  /** smtp-server made a session for a connection (before its greeting). */
  opened(id: string, client: Endpoints): void {
    const key = clientKey(client);
    const startedAt = this.handshakes.get(key);
    this.handshakes.delete(key);
    this.open.set(id, {
      transcript: transcriptOf(id, this.service, client, startedAt),
      clientKey: key,
      tlsStarted: false,
    });
    this.byClient.set(key, id);
    this.linked(client, id);
  }

  /** A TLS handshake begins: STARTTLS was answered 220, or a client reached the implicit TLS port. */
  tlsStarted(client: Endpoints): void {
    const key = clientKey(client);
    const open = this.openFor(key);
    if (open) open.tlsStarted = true;
    else this.handshakes.set(key, Date.now());
  }

  secured(sessionId: string, tls: ConnectionTls): void {
    const open = this.open.get(sessionId);
    if (!open) return;
    open.transcript.tls = tls;
    open.transcript.note(`TLS ${tls.version} ${tls.cipher} (${tls.mode === "implicit" ? "implicit TLS" : "STARTTLS"})`);
  }

  stored(sessionId: string, messageId: string): void {
    this.open.get(sessionId)?.transcript.messages.push(messageId);
  }

  /**
   * A handshake failed: after STARTTLS (the session ends with it) or on the implicit TLS port (no
   * session ever began). A client that sent nothing there and hung up checked the port (the
   * switchboard's status probe, a scan): that is no session, and goes on no record.
   */
  tlsFailed(client: Endpoints, error: Error, bytesIn?: number): void {
    const key = clientKey(client);
    const detail = tlsFailureDetail(error);
    const open = this.openFor(key);
    if (open) {
      open.tlsFailure ??= detail;
      return;
    }
    const startedAt = this.handshakes.get(key);
    this.handshakes.delete(key);
    if (bytesIn === 0 && tlsFailureOutcome(detail) !== "timeout") return;
    const transcript = transcriptOf(undefined, this.service, client, startedAt);
    transcript.note(detail);
    this.linked(client, transcript.id);
    this.log.add(transcript.finish("tls-failed", detail));
  }

  /** smtp-server's onClose: the session is over, its record goes to the log. */
  closed(session: SMTPServerSession): void {
    const open = this.open.get(session.id);
    if (!open) return;
    this.open.delete(session.id);
    if (this.byClient.get(open.clientKey) === session.id) this.byClient.delete(open.clientKey);
    const { transcript } = open;
    transcript.helo = session.hostNameAppearsAs || null;
    const user: unknown = session.user;
    transcript.user = typeof user === "string" ? user : null;
    const [outcome, detail] = this.outcome(open);
    // Connected, heard the greeting, hung up without a word: a port check, not a session.
    if (!transcript.heardClient() && (outcome === "ok" || outcome === "error")) return;
    this.log.add(transcript.finish(outcome, detail));
  }

  private outcome(open: OpenSession): [SessionOutcome, string | null] {
    const { transcript } = open;
    const tlsFailure =
      open.tlsFailure ??
      (open.tlsStarted && !transcript.tls ? `${TLS_FAILURE_PREFIX}the client closed the connection` : undefined);
    if (tlsFailure) return ["tls-failed", tlsFailure];
    const replies = transcript.serverLines().map((line) => line.text);
    const timeout = replies.find((reply) => TIMEOUT_REPLY.test(reply));
    const stored = transcript.messages.length;
    if (stored > 0) return ["delivered", `${stored} stored${timeout ? `, then ${timeout}` : ""}`];
    if (timeout) return ["timeout", timeout];
    const refused = replies.findLast((reply) => NEGATIVE_REPLY.test(reply));
    if (refused) return ["rejected", refused];
    if (open.error) return ["error", open.error];
    return ["ok", null];
  }

  private openFor(key: string): OpenSession | undefined {
    const id = this.byClient.get(key);
    return id === undefined ? undefined : this.open.get(id);
  }
}
