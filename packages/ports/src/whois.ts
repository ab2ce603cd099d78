import type { PorthostConfig, ResolvedService } from "./config.js";
import { WELL_KNOWN, readServicesDatabase, type Assignment, type ServicesEntry } from "./known-ports.js";
import {
  IANA_RANGES,
  isPortNumber,
  rangeClass,
  readEphemeralRange,
  type PortRange,
  type RangeClass,
} from "./ranges.js";
import { isServiceName } from "./services.js";

export interface PorthostUse {
  readonly service: string;
  readonly transports: readonly string[];
  /** "listens" when porthost binds this number now, "well-known" when it is the service's assigned number. */
  readonly as: "listens" | "well-known";
  readonly implemented: boolean;
  /**
   * A knock sequence's steps at this number, 1 for the first knock (knock's 9021/udp is its
   * third while 9021/tcp is the vault): `transports` are then those steps' transports.
   */
  readonly knocks?: readonly number[];
  /** How many knocks the sequence has, with `knocks`. */
  readonly sequenceLength?: number;
}

export interface PortFacts {
  readonly port: number;
  readonly rangeClass: RangeClass;
  readonly rangeLabel: string;
  /** Assignments the seed texts name. */
  readonly wellKnown: readonly Assignment[];
  /** Names in this machine's services database. */
  readonly servicesDatabase: readonly ServicesEntry[];
  readonly porthost: readonly PorthostUse[];
  /** This machine's ephemeral range, and whether the number lies in it; undefined where unknown. */
  readonly ephemeral: { readonly range: PortRange; readonly contains: boolean } | undefined;
}

export interface WhoisOptions {
  readonly servicesFile?: string;
  readonly ephemeralRangeFile?: string;
}

/** Everything porthost knows about one port number. */
export function describePort(port: number, config: PorthostConfig, options: WhoisOptions = {}): PortFacts {
  if (!isPortNumber(port)) throw new RangeError(`${port} is not a port number: use 0-65535`);
  const cls = rangeClass(port);
  const porthost: PorthostUse[] = [];
  for (const service of Object.values(config.services)) {
    const steps = service.sequence;
    if (steps) {
      const knocks = steps.flatMap((step, i) => (step.port === port ? [i + 1] : []));
      if (knocks.length > 0) {
        porthost.push({
          service: service.name,
          transports: [...new Set(knocks.map((k) => steps[k - 1]!.transport))],
          as: "listens",
          implemented: service.implemented,
          knocks,
          sequenceLength: steps.length,
        });
        continue;
      }
    }
    if (service.port === port && !steps) {
      porthost.push({
        service: service.name,
        transports: service.transports,
        as: "listens",
        implemented: service.implemented,
      });
    } else if (service.wellKnownPort === port) {
      porthost.push({
        service: service.name,
        transports: service.transports,
        as: "well-known",
        implemented: service.implemented,
      });
    }
  }
  const range = readEphemeralRange(options.ephemeralRangeFile);
  return {
    port,
    rangeClass: cls,
    rangeLabel: IANA_RANGES[cls].label,
    wellKnown: WELL_KNOWN.filter((a) => a.port === port),
    servicesDatabase: readServicesDatabase(options.servicesFile).filter((e) => e.port === port),
    porthost,
    ephemeral: range ? { range, contains: port >= range.low && port <= range.high } : undefined,
  };
}

export interface NameFacts {
  readonly name: string;
  /** The porthost service of that name, with its resolved port and client address. */
  readonly porthost: ResolvedService | undefined;
  readonly wellKnown: readonly Assignment[];
  readonly servicesDatabase: readonly ServicesEntry[];
}

/** Everything porthost knows about a service name (porthost's, the seeds', the services database's). */
export function describeName(name: string, config: PorthostConfig, options: WhoisOptions = {}): NameFacts {
  const wanted = name.trim().toLowerCase();
  return {
    name: wanted,
    porthost: isServiceName(wanted) ? config.services[wanted] : undefined,
    wellKnown: WELL_KNOWN.filter((a) => a.name === wanted),
    servicesDatabase: readServicesDatabase(options.servicesFile).filter(
      (e) => e.name.toLowerCase() === wanted || e.aliases.some((a) => a.toLowerCase() === wanted),
    ),
  };
}
