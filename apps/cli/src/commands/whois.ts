import {
  describeName,
  describePort,
  formatAddress,
  IANA_RANGES,
  rangeClass,
  type PorthostConfig,
  type WhoisOptions,
} from "@porthost/ports";
import { usageError } from "../cli-error.js";

/** "knock 3 of 3", "knocks 1 and 2 of 3": where this number comes in the knock sequence. */
function knockWords(knocks: readonly number[], of: number): string {
  const listed =
    knocks.length === 1 ? `knock ${knocks[0]}` : `knocks ${knocks.slice(0, -1).join(", ")} and ${knocks.at(-1)}`;
  return `${listed} of ${of} in the sequence`;
}

function whoisPort(port: number, config: PorthostConfig, options: WhoisOptions, json: boolean): string {
  const facts = describePort(port, config, options);
  if (json) return JSON.stringify(facts, null, 2);
  const lines = [`${port}: ${facts.rangeLabel}`];
  for (const a of facts.wellKnown) lines.push(`  well-known: ${a.name} (${a.transports.join("+")}): ${a.description}`);
  const db = facts.servicesDatabase.map((e) => `${e.name} ${e.port}/${e.transport}`);
  lines.push(`  services database: ${db.length > 0 ? db.join(", ") : "no name for this number"}`);
  for (const use of facts.porthost) {
    const s = config.services[use.service as keyof PorthostConfig["services"]];
    if (use.as === "listens") {
      const knocks = use.knocks ? `: ${knockWords(use.knocks, use.sequenceLength ?? use.knocks.length)}` : "";
      lines.push(
        `  porthost: ${use.service} listens here (${use.transports.join("+")})${knocks}${use.implemented ? "" : ", not served yet"}`,
      );
    } else {
      lines.push(
        `  porthost: ${use.service}'s well-known port; here it listens on ${s.port}${use.implemented ? "" : " (not served yet)"}`,
      );
    }
  }
  if (facts.porthost.length === 0) lines.push("  porthost: no porthost service uses this number");
  if (facts.ephemeral) {
    const { range, contains } = facts.ephemeral;
    lines.push(
      `  ephemeral: ${contains ? "inside" : "outside"} this machine's ephemeral range ${range.low}-${range.high} (where the kernel picks client ports; IANA's dynamic range is ${IANA_RANGES.dynamic.low}-${IANA_RANGES.dynamic.high})`,
    );
  }
  return lines.join("\n");
}

function whoisName(name: string, config: PorthostConfig, options: WhoisOptions, json: boolean): string {
  const facts = describeName(name, config, options);
  if (!facts.porthost && facts.wellKnown.length === 0 && facts.servicesDatabase.length === 0) {
    throw usageError(
      `no service is called ${JSON.stringify(name)}: try a number (whois 443) or a name like smtp, http, echo`,
    );
  }
  if (json) return JSON.stringify(facts, null, 2);
  const lines = [`${facts.name}:`];
  const s = facts.porthost;
  if (s) {
    lines.push(
      `  well-known port: ${s.wellKnownPort}/${s.transports.join("+")} (${rangeClass(s.wellKnownPort)} range), ${s.rfc}`,
    );
    lines.push(`  ${s.description}`);
    lines.push(
      s.implemented
        ? `  porthost: listens on ${s.port} (${s.portSource}); clients connect to ${formatAddress(s.addr)}`
        : `  porthost: will listen on ${s.port}; not served yet`,
    );
  }
  for (const a of facts.wellKnown)
    if (!s) lines.push(`  well-known: ${a.port}/${a.transports.join("+")}: ${a.description}`);
  const db = facts.servicesDatabase.map((e) => `${e.port}/${e.transport}`);
  if (db.length > 0) lines.push(`  services database: ${[...new Set(db)].join(", ")}`);
  return lines.join("\n");
}

/** `porthost whois <port|name>`: what a number or a name means. */
export function whoisCommand(
  query: string | undefined,
  config: PorthostConfig,
  json: boolean,
  options: WhoisOptions = {},
): string {
  if (query === undefined || query.trim() === "")
    throw usageError("whois needs a port number or a service name: porthost whois 443");
  if (/^\d+$/.test(query)) {
    const port = Number(query);
    if (port > 65535) throw usageError(`${query} is not a port number: ports are 16 bits, 0-65535`);
    return whoisPort(port, config, options, json);
  }
  if (/^-\d+$/.test(query)) throw usageError(`${query} is not a port number: ports are 0-65535`);
  return whoisName(query, config, options, json);
}
