import { PortConfigError } from "./errors.js";
import { portVariable } from "./config.js";
import { KNOCK_SEQUENCE_VARIABLE } from "./knock-settings.js";
import type { ServiceName, Transport } from "./services.js";
import { serviceSpec } from "./services.js";

export interface ListenTarget {
  readonly service: ServiceName;
  readonly transport: Transport;
  readonly host: string;
  readonly port: number;
}

function errnoCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}

/**
 * Turns a failed listen (EADDRINUSE, EACCES, EADDRNOTAVAIL, a host name that does not resolve) into a PortConfigError whose
 * message names the port, the service and the fix. Other errors are returned unchanged.
 */
export function explainListenError(error: unknown, target: ListenTarget): unknown {
  const { service, transport, host, port } = target;
  const where = `${port}/${transport} (${service}) on ${host}`;
  const spec = serviceSpec(service);
  // The knock's ports are a sequence, set in one variable.
  const variable = spec.sequence ? KNOCK_SEQUENCE_VARIABLE : portVariable(service);
  const setting = spec.sequence ? `${variable}=<port:udp,port:tcp,...>` : `${variable}=<port>`;
  const wellKnown = spec.wellKnownPort;
  switch (errnoCode(error)) {
    case "EADDRINUSE":
      return new PortConfigError(
        "PORTHOST_ERR_ADDR_IN_USE",
        `port ${where} is already in use by another program (is porthost already running?): stop it, or choose another port with ${setting} or shift every port with PORTHOST_PORT_OFFSET=<n>`,
        variable,
      );
    case "EACCES":
      return new PortConfigError(
        "PORTHOST_ERR_PORT_PRIVILEGED",
        `port ${where} is privileged (below 1024 needs root or CAP_NET_BIND_SERVICE): use PORTHOST_PORT_OFFSET=8000 (port ${wellKnown + 8000}) or ${setting.replace("<port", "<port above 1023")}`,
        variable,
      );
    case "EADDRNOTAVAIL":
      return new PortConfigError(
        "PORTHOST_ERR_ADDR_NOT_AVAILABLE",
        `address ${host} for ${service} is not on this machine: set PORTHOST_HOST to one of its addresses (127.0.0.1, 0.0.0.0, ::1)`,
        "PORTHOST_HOST",
      );
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
      return new PortConfigError(
        "PORTHOST_ERR_ADDR_NOT_AVAILABLE",
        `PORTHOST_HOST=${host} (where ${service} listens) is a name that does not resolve here: set PORTHOST_HOST to an address of this machine (127.0.0.1, 0.0.0.0, ::1)`,
        "PORTHOST_HOST",
      );
    default:
      return error;
  }
}

/**
 * Several failed listens of one app as one error, a line per port, so that a second copy of
 * porthost names every taken port and not just the first. An unexplained error wins as is.
 */
export function combineListenErrors(errors: readonly unknown[]): unknown {
  const unexplained = errors.find((e) => !(e instanceof PortConfigError));
  if (unexplained !== undefined || errors.length === 1) return unexplained ?? errors[0];
  const explained = errors as readonly PortConfigError[];
  return new PortConfigError(explained[0]!.code, explained.map((e) => e.message).join("\n"), explained[0]!.variable);
}
