import { isIP } from "node:net";
import path from "node:path";
import { envValue, readChoice, type Env } from "./env-values.js";
import { PortConfigError } from "./errors.js";
import { readHttpSettings, type HttpSettings } from "./http-settings.js";
import { readConnectionSettings, type ConnectionSettings } from "./connection-settings.js";
import { readMailSettings, readSmtpSettings, type MailSettings, type SmtpSettings } from "./mail-settings.js";
import { SERVICES, type ServiceName, type ServiceSpec, type Transport } from "./services.js";
import { readDiscardSettings, readEchoSettings, type DiscardSettings, type EchoSettings } from "./echo-settings.js";
import { readEventsSettings, type EventsSettings } from "./events-settings.js";
import { readPop3Settings, type Pop3Settings } from "./pop3-settings.js";
import { readSupervisorSettings, type SupervisorSettings } from "./supervisor-settings.js";
import { readTlsSettings, type TlsSettings } from "./tls-settings.js";
import {
  KNOCK_SEQUENCE_VARIABLE,
  parseKnockSequence,
  readKnockSettings,
  type KnockSettings,
  type KnockStep,
} from "./knock-settings.js";

export const DEFAULT_HOST = "127.0.0.1";
/** Outside a container every service sits at its well-known port + 8000; the image sets 0. */
export const DEFAULT_PORT_OFFSET = 8000;
export const DEFAULT_DATA_DIR = "./data";
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Address {
  readonly host: string;
  readonly port: number;
}

export interface ResolvedService extends ServiceSpec {
  /** The port this service listens on (0: the system picks one). */
  readonly port: number;
  /** Which variable set the port, or how it was derived, for messages. */
  readonly portSource: string;
  /** Where a client of this service connects (`PORTHOST_<SERVICE>_ADDR`). */
  readonly addr: Address;
  /** The knock sequence's endpoints in order, as they listen (offset applied, or `PORTHOST_KNOCK_SEQUENCE`). */
  readonly sequence?: readonly KnockStep[];
}

export interface PorthostConfig {
  readonly host: string;
  readonly portOffset: number;
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  readonly services: Readonly<Record<ServiceName, ResolvedService>>;
  readonly http: HttpSettings;
  /** Limits every TCP service shares: connections per client address. */
  readonly connections: ConnectionSettings;
  readonly echo: EchoSettings;
  readonly discard: DiscardSettings;
  readonly events: EventsSettings;
  /** SMTP limits and AUTH accounts. */
  readonly smtp: SmtpSettings;
  /** The mail store: retention. */
  readonly mail: MailSettings;
  /** POP3 mailbox mode, logins and limits. */
  readonly pop3: Pop3Settings;
  /** The certificate every TLS port serves: the user's (PORTHOST_TLS_CERT/_KEY) or the dev CA's. */
  readonly tls: TlsSettings;
  /** What `porthost start` does when an app stops on its own (PORTHOST_RESTART). */
  readonly supervisor: SupervisorSettings;
  /** Port knocking: the sequence's timeout, the vault's window and the SPA key (PORTHOST_KNOCK_*). */
  readonly knock: KnockSettings;
}

export function portVariable(name: ServiceName): string {
  return `PORTHOST_${name.toUpperCase()}_PORT`;
}

export function addrVariable(name: ServiceName): string {
  return `PORTHOST_${name.toUpperCase()}_ADDR`;
}

/** Parses a port number from a variable, or stops with one line naming the variable. */
export function parsePort(variable: string, raw: string): number {
  const value = raw.trim();
  if (!/^\d+$/.test(value)) {
    throw new PortConfigError(
      "PORTHOST_ERR_NOT_A_PORT",
      `${variable}=${JSON.stringify(raw)} is not a port number: use a whole number from 0 to 65535`,
      variable,
    );
  }
  const port = Number(value);
  if (port > 65535) {
    throw new PortConfigError(
      "PORTHOST_ERR_PORT_RANGE",
      `${variable}=${value} is outside 0-65535: a port number is 16 bits`,
      variable,
    );
  }
  return port;
}

function parseHost(variable: string, raw: string): string {
  const host = raw.trim();
  const hostname =
    /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
  if (isIP(host) === 0 && !hostname.test(host)) {
    throw new PortConfigError(
      "PORTHOST_ERR_BAD_HOST",
      `${variable}=${JSON.stringify(raw)} is not an IP address or host name (try 127.0.0.1, 0.0.0.0 or ::1)`,
      variable,
    );
  }
  return host;
}

/** Parses `host:port` or `[v6]:port`. */
export function parseAddress(variable: string, raw: string): Address {
  const value = raw.trim();
  const match = /^\[([^\]]+)\]:(.*)$/.exec(value) ?? /^([^:]+):(.*)$/.exec(value);
  if (!match || match[1] === undefined || match[2] === undefined) {
    throw new PortConfigError(
      "PORTHOST_ERR_BAD_ADDR",
      `${variable}=${JSON.stringify(raw)} is not host:port (for example smtp:25 or [::1]:8025)`,
      variable,
    );
  }
  const host = parseHost(variable, match[1]);
  const port = parsePort(variable, match[2]);
  if (port === 0) {
    throw new PortConfigError(
      "PORTHOST_ERR_BAD_ADDR",
      `${variable}=${value}: a client cannot connect to port 0`,
      variable,
    );
  }
  return { host, port };
}

/** A wildcard bind address is not somewhere a client can connect; use loopback instead. */
export function clientHost(bindHost: string): string {
  if (bindHost === "0.0.0.0") return "127.0.0.1";
  if (bindHost === "::") return "::1";
  return bindHost;
}

/** A sequence's endpoints: `PORTHOST_KNOCK_SEQUENCE` as written, or each well-known number + the offset. */
function resolveSequence(spec: ServiceSpec, env: Env, offset: number): { steps: KnockStep[]; source: string } {
  const explicit = envValue(env, KNOCK_SEQUENCE_VARIABLE);
  if (explicit !== undefined)
    return { steps: parseKnockSequence(KNOCK_SEQUENCE_VARIABLE, explicit), source: KNOCK_SEQUENCE_VARIABLE };
  const single = envValue(env, portVariable(spec.name));
  // 0 (tests): every knock on a port the system picks, as PORTHOST_<SERVICE>_PORT=0 does for the others.
  if (single === "0")
    return {
      steps: (spec.sequence ?? []).map((s) => ({ port: 0, transport: s.transport })),
      source: portVariable(spec.name),
    };
  if (single !== undefined) {
    throw new PortConfigError(
      "PORTHOST_ERR_BAD_VALUE",
      `${portVariable(spec.name)}=${single} does not apply: ${spec.name} is a sequence of ports, set ${KNOCK_SEQUENCE_VARIABLE} (e.g. 9022:udp,9022:tcp,9021:udp) or ${portVariable(spec.name)}=0`,
      portVariable(spec.name),
    );
  }
  const steps = (spec.sequence ?? []).map((step) => ({ port: step.port + offset, transport: step.transport }));
  const past = steps.find((step) => step.port > 65535);
  if (past) {
    throw new PortConfigError(
      "PORTHOST_ERR_PORT_RANGE",
      `PORTHOST_PORT_OFFSET=${offset} puts a knock at ${past.port}, past 65535: use a smaller offset or set ${KNOCK_SEQUENCE_VARIABLE}`,
      "PORTHOST_PORT_OFFSET",
    );
  }
  return {
    steps,
    source: `${spec.sequence?.map((s) => `${s.port}/${s.transport}`).join(", ")} + PORTHOST_PORT_OFFSET ${offset}`,
  };
}

function resolveService(spec: ServiceSpec, env: Env, host: string, offset: number): ResolvedService {
  if (spec.sequence) {
    const { steps, source } = resolveSequence(spec, env, offset);
    const first = steps[0]!;
    const addrVar = addrVariable(spec.name);
    const addrRaw = envValue(env, addrVar);
    const addr = addrRaw !== undefined ? parseAddress(addrVar, addrRaw) : { host: clientHost(host), port: first.port };
    return Object.freeze({
      ...spec,
      transports: [...new Set(steps.map((s) => s.transport))],
      port: first.port,
      portSource: source,
      addr: Object.freeze(addr),
      sequence: Object.freeze(steps.map((s) => Object.freeze(s))),
    });
  }
  const variable = portVariable(spec.name);
  const explicit = envValue(env, variable);
  let port: number;
  let portSource: string;
  if (explicit !== undefined) {
    port = parsePort(variable, explicit);
    portSource = variable;
  } else {
    port = spec.wellKnownPort + offset;
    portSource = `${spec.wellKnownPort} + PORTHOST_PORT_OFFSET ${offset}`;
    if (port > 65535) {
      throw new PortConfigError(
        "PORTHOST_ERR_PORT_RANGE",
        `PORTHOST_PORT_OFFSET=${offset} puts ${spec.name} at ${port}, past 65535: use a smaller offset or set ${variable}`,
        "PORTHOST_PORT_OFFSET",
      );
    }
  }
  const addrVar = addrVariable(spec.name);
  const addrRaw = envValue(env, addrVar);
  const addr = addrRaw !== undefined ? parseAddress(addrVar, addrRaw) : { host: clientHost(host), port };
  return Object.freeze({ ...spec, port, portSource, addr: Object.freeze(addr) });
}

/** Two services may share a number only on different transports (as TCP and UDP do). */
function refuseConflicts(services: readonly ResolvedService[]): void {
  const owners = new Map<string, ResolvedService>();
  for (const service of services) {
    for (const { port, transport } of endpoints(service)) {
      if (port === 0) continue;
      const key = `${port}/${transport}`;
      const other = owners.get(key);
      if (other) {
        const variable = service.sequence ? KNOCK_SEQUENCE_VARIABLE : portVariable(service.name);
        throw new PortConfigError(
          "PORTHOST_ERR_PORT_CONFLICT",
          `${service.name} and ${other.name} both want ${key} (${service.portSource}; ${other.portSource}): one port and transport serves one service, so change ${variable}`,
          variable,
        );
      }
      owners.set(key, service);
    }
  }
}

/**
 * Reads and validates every porthost setting once. Throws PortConfigError with one line
 * naming the variable at the first bad value.
 */
export function readConfig(env: Env = process.env, cwd: string = process.cwd()): PorthostConfig {
  const host = parseHost("PORTHOST_HOST", envValue(env, "PORTHOST_HOST") ?? DEFAULT_HOST);
  const offsetRaw = envValue(env, "PORTHOST_PORT_OFFSET");
  const portOffset = offsetRaw === undefined ? DEFAULT_PORT_OFFSET : parsePort("PORTHOST_PORT_OFFSET", offsetRaw);
  const dataDir = path.resolve(cwd, envValue(env, "PORTHOST_DATA_DIR") ?? DEFAULT_DATA_DIR);
  const logLevel = readChoice(env, "PORTHOST_LOG_LEVEL", "info", LOG_LEVELS);
  const resolved = SERVICES.map((spec) => resolveService(spec, env, host, portOffset));
  refuseConflicts(resolved.filter((s) => s.implemented));
  const services = Object.freeze(
    Object.fromEntries(resolved.map((s) => [s.name, s])) as Record<ServiceName, ResolvedService>,
  );
  const http = readHttpSettings(env);
  const connections = readConnectionSettings(env);
  const echo = readEchoSettings(env);
  const discard = readDiscardSettings(env);
  const events = readEventsSettings(env, cwd);
  const smtp = readSmtpSettings(env);
  const mail = readMailSettings(env);
  const pop3 = readPop3Settings(env);
  const tls = readTlsSettings(env, cwd);
  const supervisor = readSupervisorSettings(env);
  const knock = readKnockSettings(env);
  return Object.freeze({
    host,
    portOffset,
    dataDir,
    logLevel,
    services,
    http,
    connections,
    echo,
    discard,
    events,
    smtp,
    mail,
    pop3,
    tls,
    supervisor,
    knock,
  });
}

/** The endpoints (port and transport) a service binds, in table order. */
export function endpoints(service: ResolvedService): { port: number; transport: Transport }[] {
  if (service.sequence) return service.sequence.map((step) => ({ ...step }));
  return service.transports.map((transport) => ({ port: service.port, transport }));
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatAddress(address: Address): string {
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** A child's environment with nothing inherited but PATH: a test's or benchmark's clean start. */
export function cleanEnvironment(variables: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "", ...variables };
}

/** This process's environment with some variables set: what a supervisor hands its children. */
export function environmentWith(overrides: Readonly<Record<string, string>>): Record<string, string | undefined> {
  return { ...process.env, ...overrides };
}
