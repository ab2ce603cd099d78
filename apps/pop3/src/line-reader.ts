const LF = 0x0a;
const CR = 0x0d;

/** One command from the client, or word that a line went past the limit (its rest is dropped). */
export type CommandInput = { readonly line: string } | { readonly tooLong: true };

/**
 * Splits what the client sends into command lines of at most `maxLineBytes` octets, CRLF
 * included (a bare LF ends a line too). A longer line is answered as soon as it passes the
 * limit and the rest of it is dropped as it arrives, so memory stays bounded whatever is sent.
 */
export class LineReader {
  private parts: Buffer[] = [];
  private length = 0;
  private discarding = false;

  constructor(private readonly maxLineBytes: number) {}

  push(chunk: Buffer): CommandInput[] {
    const inputs: CommandInput[] = [];
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      const end = lf === -1 ? chunk.length : lf;
      if (!this.discarding) {
        this.parts.push(chunk.subarray(start, end));
        this.length += end - start;
        const line = lf === -1 ? undefined : this.take();
        // Without its LF yet, a line may still hold its CR: maxLineBytes - 1 so far is fine.
        const content = line === undefined ? this.length : line.at(-1) === CR ? line.length - 1 : line.length;
        if (content > this.maxLineBytes - (line === undefined ? 1 : 2)) {
          inputs.push({ tooLong: true });
          this.discarding = lf === -1;
          this.clear();
        } else if (line !== undefined) {
          inputs.push({ line: line.subarray(0, content).toString("latin1") });
        }
      } else if (lf !== -1) {
        this.discarding = false;
      }
      start = end + 1;
    }
    return inputs;
  }

  /** Forgets everything not yet a line: after STLS nothing sent in the clear may count. */
  reset(): void {
    this.clear();
    this.discarding = false;
  }

  private take(): Buffer {
    const line = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.length);
    this.clear();
    return line;
  }

  private clear(): void {
    this.parts = [];
    this.length = 0;
  }
}
