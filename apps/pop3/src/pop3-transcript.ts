import type net from "node:net";
import { normalizeAddress, tlsFailureOutcome, TLS_FAILURE_PREFIX } from "@porthost/events";
import { ELIDED, SessionTranscript, type SessionLog, type SessionOutcome } from "@porthost/mailstore";
import { sessionDetail } from "./connection-events.js";
import type { CommandInput } from "./line-reader.js";
import type { SessionTally } from "./pop3-session.js";

/** PASS's password and APOP's digest never go on record; USER's name does. */
function elided(line: string): string {
  const words = line.trim().split(/\s+/);
  const keyword = words[0]?.toUpperCase();
  if (keyword === "PASS" && words.length > 1) return `${words[0]} ${ELIDED}`;
  if (keyword === "APOP" && words.length > 2) return `${words[0]} ${words[1] ?? ""} ${ELIDED}`;
  return line;
}

/** The transcript of one POP3 connection, begun when it is accepted (before a 995 handshake). */
export class Pop3Transcript {
  readonly transcript: SessionTranscript;

  constructor(
    service: string,
    /** The accepted socket (under any TLS): what the client sent on the wire. */
    private readonly socket: net.Socket,
  ) {
    this.transcript = new SessionTranscript({
      service,
      client: { address: normalizeAddress(socket.remoteAddress), port: socket.remotePort ?? 0 },
      serverPort: socket.localPort ?? 0,
    });
  }

  get id(): string {
    return this.transcript.id;
  }

  /** The client sent not a byte: with an ending it chose (not a timeout), it only checked the port. */
  get silent(): boolean {
    return this.socket.bytesRead === 0;
  }

  command(input: CommandInput): void {
    this.transcript.clientLine(
      "tooLong" in input ? "<a line over the length limit, not on record>" : elided(input.line),
    );
  }

  /** A reply: one line, or a multi-line one joined by CRLF (its terminating dot included). */
  reply(text: string): void {
    this.transcript.serverReply(text);
  }
}

function outcomeOf(tally: SessionTally, lastReply: string | undefined): [SessionOutcome, string | null] {
  if (tally.tlsFailure !== undefined) return ["tls-failed", tally.tlsFailure];
  if (tally.endedBy === "idle") return ["timeout", lastReply ?? "idle"];
  if (tally.error !== undefined) return ["error", tally.error];
  if (!tally.loggedIn && lastReply?.startsWith("-ERR")) return ["rejected", lastReply];
  return ["ok", sessionDetail(tally)];
}

/** The POP3 app's session records: one Pop3Transcript per accepted connection, written when it closes. */
export class Pop3SessionRecords {
  constructor(private readonly log: SessionLog) {}

  accepted(service: string, socket: net.Socket): Pop3Transcript {
    return new Pop3Transcript(service, socket);
  }

  /** The session is over: its record goes to the log (written a moment later, off the protocol's path). */
  ended(recorder: Pop3Transcript, tally: SessionTally): void {
    const { transcript } = recorder;
    transcript.user = tally.loggedIn ? (tally.user ?? null) : null;
    transcript.tls = tally.tlsSession ?? null;
    const replies = transcript.serverLines();
    const lastNegative = replies.findLast((line) => line.text.startsWith("-ERR"))?.text;
    const [outcome, detail] = outcomeOf(tally, tally.endedBy === "idle" ? replies.at(-1)?.text : lastNegative);
    // Connected, heard the greeting, hung up without a byte: a port check (the switchboard's
    // status probe, a scan), not a session.
    if (recorder.silent && (outcome === "ok" || outcome === "error")) return;
    this.log.add(transcript.finish(outcome, detail));
  }

  /** A 995 connection whose TLS handshake never finished: a record with no session in it (none for a port check). */
  handshakeFailed(recorder: Pop3Transcript, failure: string | undefined): void {
    const detail = failure ?? `${TLS_FAILURE_PREFIX}the client closed the connection`;
    if (recorder.silent && tlsFailureOutcome(detail) !== "timeout") return;
    recorder.transcript.note(detail);
    this.log.add(recorder.transcript.finish("tls-failed", detail));
  }
}
