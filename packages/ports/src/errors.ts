/** Errors that stop start-up with one line a person can act on, never a stack trace. */

export type PortConfigErrorCode =
  | "PORTHOST_ERR_NOT_A_PORT"
  | "PORTHOST_ERR_PORT_RANGE"
  | "PORTHOST_ERR_PORT_CONFLICT"
  | "PORTHOST_ERR_BAD_HOST"
  | "PORTHOST_ERR_BAD_ADDR"
  | "PORTHOST_ERR_BAD_VALUE"
  | "PORTHOST_ERR_ADDR_IN_USE"
  | "PORTHOST_ERR_PORT_PRIVILEGED"
  | "PORTHOST_ERR_ADDR_NOT_AVAILABLE"
  | "PORTHOST_ERR_DATA_DIR"
  | "PORTHOST_ERR_TLS";

/** A bad setting, a port conflict or a port that cannot be bound. `message` is the one line to print. */
export class PortConfigError extends Error {
  override readonly name = "PortConfigError";
  constructor(
    readonly code: PortConfigErrorCode,
    message: string,
    /** The environment variable to change, when there is one. */
    readonly variable?: string,
  ) {
    super(message);
  }
}

export function isPortConfigError(error: unknown): error is PortConfigError {
  return error instanceof PortConfigError;
}
