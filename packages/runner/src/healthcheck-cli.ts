import {
  clientHost,
  isPortConfigError,
  isServiceName,
  readConfig,
  SERVICE_NAMES,
  type Env,
  type ServiceName,
} from "@porthost/ports";
import { probeService } from "./health-probe.js";

export const HEALTHCHECK_USAGE = `usage: porthost-healthcheck <service>...  (services: ${SERVICE_NAMES.join(", ")})`;

/** Exit codes as container engines read them: 0 healthy, 1 unhealthy; 2 for a bad command line. */
export const HEALTHY = 0;
export const UNHEALTHY = 1;
export const HEALTHCHECK_USAGE_ERROR = 2;

export interface HealthcheckIo {
  readonly env?: Env;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/**
 * `porthost-healthcheck smtp` (or `echo discard`): probes each named service, on every
 * transport it has, at the port this process's porthost config gives it, on the local host.
 */
export async function runHealthcheck(args: readonly string[], io: HealthcheckIo): Promise<number> {
  if (args.length === 0 || args.includes("--help") || args.includes("-h")) {
    io.err(HEALTHCHECK_USAGE);
    return HEALTHCHECK_USAGE_ERROR;
  }
  const unknown = args.filter((arg) => !isServiceName(arg));
  if (unknown.length > 0) {
    io.err(`porthost-healthcheck: unknown service ${unknown.map((u) => JSON.stringify(u)).join(", ")}`);
    io.err(HEALTHCHECK_USAGE);
    return HEALTHCHECK_USAGE_ERROR;
  }
  let config;
  try {
    config = readConfig(io.env);
  } catch (error) {
    if (!isPortConfigError(error)) throw error;
    io.err(`porthost-healthcheck: ${error.message}`);
    return HEALTHCHECK_USAGE_ERROR;
  }
  const host = clientHost(config.host);
  const checks = (args as ServiceName[]).flatMap((name) => {
    const service = config.services[name];
    return service.transports.map(async (transport) => {
      await probeService(name, transport, { host, port: service.port });
      return `${name}/${transport} on ${service.port}: healthy`;
    });
  });
  const results = await Promise.allSettled(checks);
  let healthy = true;
  for (const result of results) {
    if (result.status === "fulfilled") io.out(result.value);
    else {
      healthy = false;
      io.err(result.reason instanceof Error ? result.reason.message : String(result.reason));
    }
  }
  return healthy ? HEALTHY : UNHEALTHY;
}
