import { pino, type DestinationStream, type Logger } from "pino";
import { isoTimestamp } from "./iso-time.js";
import { lineWriter } from "./line-writer.js";

export type { Logger } from "pino";
export { isoTime } from "./iso-time.js";
export { lineWriter, type LineWriter } from "./line-writer.js";

export interface LoggerOptions {
  /** The app or service the lines come from (`web`, `smtp`, `echo`). */
  readonly service: string;
  readonly level?: string;
  /** Where lines go; stdout by default. */
  readonly destination?: DestinationStream;
}

/** A pino logger whose every line carries `service`; connection lines add port, remote, remotePort. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: options.service },
      timestamp: isoTimestamp,
    },
    // stdout, a write per event-loop turn; safe when the reader is slow or gone (line-writer.ts).
    options.destination ?? lineWriter(1),
  );
}

/** A logger that writes nothing, for tests and for library callers who pass none. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

/** The fields every connection line carries, so lines from all services read alike. */
export interface ConnectionFields {
  readonly port: number;
  readonly remote: string | undefined;
  readonly remotePort: number | undefined;
}

export function connectionFields(socket: {
  localPort?: number | undefined;
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
}): ConnectionFields {
  return { port: socket.localPort ?? 0, remote: socket.remoteAddress, remotePort: socket.remotePort };
}
