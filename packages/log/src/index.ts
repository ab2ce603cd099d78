import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger } from "pino";

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
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    // stdout, a write per line (pino's `sync: true`): nothing waits in memory, so no line is lost
    // however the process ends, a slow reader holds the writer, and a reader that is gone (EPIPE)
    // turns logging off. The asynchronous destination retries a pipe found broken at exit forever.
    options.destination ?? pino.destination({ dest: 1, sync: true }),
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
