/** How much of the output is looked at to tell binary from text. */
const SNIFF_BYTES = 8 * 1024; // 8 KiB

/** Bytes a terminal would show as garbage (or take as control sequences): a NUL, or text that is not UTF-8. */
export function looksBinary(bytes: Buffer): boolean {
  const head = bytes.subarray(0, SNIFF_BYTES);
  if (head.includes(0)) return true;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: head.length < bytes.length });
    return false;
  } catch {
    return true;
  }
}

export interface BytesOutput {
  readonly bytes: Buffer;
  /** The command that sends the same bytes to a file instead. */
  readonly redirect?: string | undefined;
}

/**
 * Writes bytes (a raw message, an attachment) to stdout as they are, except binary bytes to a
 * terminal: those get a one-line hint on stderr to redirect them to a file, and exit code 1.
 */
export function writeBytes(
  output: BytesOutput,
  stdout: NodeJS.WriteStream = process.stdout,
  stderr: NodeJS.WriteStream = process.stderr,
): number {
  if (stdout.isTTY && output.redirect !== undefined && looksBinary(output.bytes)) {
    stderr.write(
      `porthost: not writing ${output.bytes.length} bytes of binary to the terminal; redirect them to a file:\n  ${output.redirect}\n`,
    );
    return 1;
  }
  stdout.write(output.bytes);
  return 0;
}
