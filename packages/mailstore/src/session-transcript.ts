import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { SessionOutcome, SessionRecord, SessionTls, TranscriptLine } from "./session-schemas.js";

/** Lines kept from a session's start and from its end; what lies between is counted, not kept. */
export const TRANSCRIPT_HEAD_LINES = 150;
export const TRANSCRIPT_TAIL_LINES = 100;
/** Lines of one multi-line reply kept (EHLO, CAPA, LIST); the rest is counted in a note. */
const REPLY_LINES = 20;
/** A longer line is cut: a transcript is to read, and a hostile client must not make it big. */
export const TRANSCRIPT_LINE_CHARS = 512;
/** What stands in for a secret (AUTH payloads, PASS, the APOP digest). */
export const ELIDED = "[secret elided]";

/** A new session id, in smtp-server's form: 80 random bits in base 32, 16 characters. */
export function newSessionId(): string {
  return BigInt(`0x${randomBytes(10).toString("hex")}`)
    .toString(32)
    .padStart(16, "0");
}

function cut(text: string): string {
  return text.length > TRANSCRIPT_LINE_CHARS ? `${text.slice(0, TRANSCRIPT_LINE_CHARS - 1)}…` : text;
}

export interface SessionStart {
  readonly service: string;
  readonly client: { readonly address: string; readonly port: number };
  readonly serverPort: number;
  /** Default: a new id. */
  readonly id?: string;
  /** ms since the epoch; default now. */
  readonly startedAt?: number;
}

/**
 * One session as it happens, held in memory (bounded: its first and last lines) until it ends
 * and becomes a SessionRecord. The protocol code tells it each line; nothing is written to disk
 * here, so a command's reply never waits for the transcript.
 */
export class SessionTranscript {
  readonly id: string;
  readonly service: string;
  readonly startedAt: number;
  readonly client: { readonly address: string; readonly port: number };
  readonly serverPort: number;
  helo: string | null = null;
  user: string | null = null;
  tls: SessionTls | null = null;
  readonly messages: string[] = [];
  private readonly began = performance.now();
  private readonly head: TranscriptLine[] = [];
  private tail: TranscriptLine[] = [];
  private left = 0;

  constructor(start: SessionStart) {
    this.id = start.id ?? newSessionId();
    this.service = start.service;
    this.client = start.client;
    this.serverPort = start.serverPort;
    this.startedAt = start.startedAt ?? Date.now();
  }

  /** A command from the client, its secrets already elided by the caller. */
  clientLine(text: string): void {
    this.add("client", text);
  }

  /** A reply, one line or several joined by CRLF. */
  serverReply(text: string): void {
    const lines = text.split("\r\n");
    if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
    for (const line of lines.slice(0, REPLY_LINES)) this.add("server", line);
    if (lines.length > REPLY_LINES) this.add("note", `… ${lines.length - REPLY_LINES} more lines of this reply`);
  }

  note(text: string): void {
    this.add("note", text);
  }

  /** Whether the client sent a line: a connection that sent none and hung up checked the port, it held no session. */
  heardClient(): boolean {
    return this.head.some((line) => line.from === "client") || this.tail.some((line) => line.from === "client");
  }

  /** The server replies seen, newest last, for deciding an outcome (kept lines only). */
  serverLines(): TranscriptLine[] {
    return [...this.head, ...this.tail].filter((line) => line.from === "server");
  }

  private add(from: TranscriptLine["from"], text: string): void {
    const line: TranscriptLine = { at: Math.round((performance.now() - this.began) * 10) / 10, from, text: cut(text) };
    if (this.head.length < TRANSCRIPT_HEAD_LINES) {
      this.head.push(line);
      return;
    }
    this.tail.push(line);
    if (this.tail.length > TRANSCRIPT_TAIL_LINES * 2) {
      // Trimmed in steps, not per line: the tail is copied once per hundred lines.
      this.left += this.tail.length - TRANSCRIPT_TAIL_LINES;
      this.tail = this.tail.slice(-TRANSCRIPT_TAIL_LINES);
    }
  }

  /** The finished record; the transcript keeps its first and last lines, with a note of what was left out. */
  finish(outcome: SessionOutcome, detail: string | null): SessionRecord {
    let tail = this.tail;
    let left = this.left;
    if (tail.length > TRANSCRIPT_TAIL_LINES) {
      left += tail.length - TRANSCRIPT_TAIL_LINES;
      tail = tail.slice(-TRANSCRIPT_TAIL_LINES);
    }
    const gap: TranscriptLine[] =
      left > 0 ? [{ at: tail[0]?.at ?? 0, from: "note", text: `… ${left} lines left out of this record` }] : [];
    const transcript = [...this.head, ...gap, ...tail];
    return {
      id: this.id,
      service: this.service,
      startedAt: new Date(this.startedAt).toISOString(),
      durationMs: Math.round((performance.now() - this.began) * 10) / 10,
      client: { address: this.client.address, port: this.client.port },
      server: { port: this.serverPort },
      helo: this.helo,
      tls: this.tls,
      user: this.user,
      outcome,
      detail,
      messages: [...this.messages],
      lineCount: this.head.length + left + tail.length,
      transcript,
    };
  }
}
