const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const CRLF = Buffer.from("\r\n");
const CR_ONLY = Buffer.from("\r");
const STUFFING = Buffer.from(".");

export interface WireEncoderOptions {
  /** Byte-stuff lines that begin with "." (RFC 1939 3); off when only counting a message's size. */
  readonly stuff: boolean;
  /** TOP: stop after the headers, the empty line and this many body lines; unset sends everything. */
  readonly bodyLines?: number;
}

/**
 * Turns a stored message into POP3's form chunk by chunk: every line ends in CRLF (a bare
 * LF gets its CR), lines that begin with "." get another one, and the last line is ended
 * if the file was not. A message stored by porthost's SMTP is CRLF throughout, so what goes
 * out is its bytes unchanged but for the stuffing; only those places are cut, so a large
 * message passes as a few large buffers. With `stuff: false` the output's length is the
 * message's POP3 size: what RETR sends before stuffing, the bytes the client keeps.
 */
export class WireEncoder {
  private atLineStart = true;
  /** The chunk ended with CR: whether it ends the line depends on the next byte. */
  private pendingCR = false;
  private lineEmpty = true;
  private inBody = false;
  private bodyLinesSent = 0;
  private finished = false;

  constructor(private readonly options: WireEncoderOptions) {}

  /** True once TOP has all it needs: the rest of the file is not wanted. */
  get done(): boolean {
    return this.finished;
  }

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    if (this.finished || chunk.length === 0) return out;
    let i = 0;
    if (this.pendingCR) {
      this.pendingCR = false;
      if (chunk[0] === LF) {
        out.push(CRLF);
        i = 1;
        this.endLine();
      } else {
        out.push(CR_ONLY);
        this.lineEmpty = false;
      }
    }
    let runStart = i;
    while (i < chunk.length) {
      if (this.atLineStart) {
        if (this.limitReached()) {
          this.finished = true;
          if (i > runStart) out.push(chunk.subarray(runStart, i));
          return out;
        }
        this.atLineStart = false;
        if (chunk[i] === DOT && this.options.stuff) {
          if (i > runStart) out.push(chunk.subarray(runStart, i));
          out.push(STUFFING);
          runStart = i;
        }
      }
      const lf = chunk.indexOf(LF, i);
      if (lf === -1) {
        let end = chunk.length;
        if (chunk[end - 1] === CR) {
          end -= 1;
          this.pendingCR = true;
        }
        if (end > i) this.lineEmpty = false;
        if (end > runStart) out.push(chunk.subarray(runStart, end));
        return out;
      }
      const hasCR = lf > i && chunk[lf - 1] === CR;
      if ((hasCR ? lf - 1 : lf) > i) this.lineEmpty = false;
      if (!hasCR) {
        if (lf > runStart) out.push(chunk.subarray(runStart, lf));
        out.push(CRLF);
        runStart = lf + 1;
      }
      i = lf + 1;
      this.endLine();
    }
    if (chunk.length > runStart) out.push(chunk.subarray(runStart));
    if (this.atLineStart && this.limitReached()) this.finished = true;
    return out;
  }

  /** What ends the message: a CRLF when the file's last line had none. */
  finish(): Buffer[] {
    if (this.finished) return [];
    this.finished = true;
    return this.atLineStart && !this.pendingCR ? [] : [CRLF];
  }

  private endLine(): void {
    this.atLineStart = true;
    if (this.inBody) this.bodyLinesSent += 1;
    else if (this.lineEmpty) this.inBody = true;
    this.lineEmpty = true;
  }

  private limitReached(): boolean {
    const limit = this.options.bodyLines;
    return limit !== undefined && this.inBody && this.bodyLinesSent >= limit;
  }
}

/** The whole of a message in POP3 form, for tests and small messages. */
export function encodeMessage(message: Buffer, options: WireEncoderOptions): Buffer {
  const encoder = new WireEncoder(options);
  return Buffer.concat([...encoder.push(message), ...encoder.finish()]);
}
