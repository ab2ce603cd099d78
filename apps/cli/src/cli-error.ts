/** A failure the CLI reports as one line and an exit code, without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    /** 2: bad usage or setting; 1: the operation failed (a service down, a refusal). */
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

export const usageError = (message: string): CliError => new CliError(message, 2);
export const failure = (message: string): CliError => new CliError(message, 1);

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Explains a failed connection to a porthost service in one line. */
export function connectionFailure(error: unknown, service: string, where: string): CliError {
  switch (errnoCode(error)) {
    case "ECONNREFUSED":
      return failure(
        `nothing listens on ${where}, where ${service} should be: start porthost (npm start) or set PORTHOST_${service.toUpperCase()}_ADDR`,
      );
    case "ETIMEDOUT":
    case "ETIMEOUT":
      return failure(`${service} at ${where} did not answer in time`);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return failure(`cannot resolve the host of ${where} (${service}): check PORTHOST_${service.toUpperCase()}_ADDR`);
    default:
      return failure(`${service} at ${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
