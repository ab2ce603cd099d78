import { isIP } from "node:net";
import { scanTcp, SCAN_TIMEOUT_MS, type PortProbe } from "@porthost/clients/port-scan";
import { clientHost, describePort, formatAddress, parsePortList, type PorthostConfig } from "@porthost/ports";
import { usageError } from "../cli-error.js";
import { renderTable } from "../table.js";

/** The ports scanned when none are given: the well-known range, and every port porthost serves. */
export const DEFAULT_SCAN_RANGE = "1-1024";
const MAX_TIMEOUT_MS = 60_000; // 1 min

export interface ScanArguments {
  readonly ports?: string;
  readonly timeout?: string;
}

interface OpenPort {
  readonly port: number;
  /** Names from the seeds' table and this machine's services database. */
  readonly names: readonly string[];
  /** The porthost service that listens on this number in this configuration, if any. */
  readonly porthost: string | undefined;
  readonly localPort: number | undefined;
}

function servedTcpPorts(config: PorthostConfig): number[] {
  return Object.values(config.services)
    .filter((s) => s.implemented && s.transports.includes("tcp") && s.port !== 0)
    .map((s) => s.port);
}

function portsToScan(config: PorthostConfig, spec: string | undefined): { ports: number[]; label: string } {
  try {
    if (spec !== undefined) return { ports: parsePortList(spec), label: spec };
    const served = servedTcpPorts(config);
    return {
      ports: parsePortList([DEFAULT_SCAN_RANGE, ...served].join(",")),
      label: `${DEFAULT_SCAN_RANGE} and porthost's ${served.join(",")}`,
    };
  } catch (error) {
    throw usageError(`--ports: ${(error as Error).message}`);
  }
}

function timeoutMs(text: string | undefined): number {
  if (text === undefined) return SCAN_TIMEOUT_MS;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > MAX_TIMEOUT_MS)
    throw usageError(`--timeout must be whole milliseconds from 1 to ${MAX_TIMEOUT_MS}, not ${JSON.stringify(text)}`);
  return value;
}

function describeOpen(probe: PortProbe, config: PorthostConfig): OpenPort {
  const facts = describePort(probe.port, config);
  const names = [...new Set([...facts.wellKnown.map((a) => a.name), ...facts.servicesDatabase.map((e) => e.name)])];
  return {
    port: probe.port,
    names,
    porthost: facts.porthost.find((use) => use.as === "listens")?.service,
    localPort: probe.localPort,
  };
}

/**
 * `porthost scan [host] [--ports 1-1024] [--timeout ms]`: a TCP connect scan (nmap -sT): each
 * port gets a handshake and an immediate close. Open ports are named from the seeds' table,
 * the services database and porthost's own table; the rest are counted as closed (a reset came
 * back) or filtered (no answer). A handshake that met itself (the kernel chose the scanned port
 * as this side's ephemeral port) is no server: it is probed again, as nmap does, and listed.
 */
export async function scanCommand(
  words: readonly string[],
  options: ScanArguments,
  config: PorthostConfig,
  json: boolean,
): Promise<string> {
  if (words.length > 1) throw usageError("scan takes one host: porthost scan 127.0.0.1 --ports 1-1024");
  const host = words[0] ?? clientHost(config.host);
  if (isIP(host) === 0 && !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(host))
    throw usageError(`${JSON.stringify(host)} is not an IP address or host name`);
  const { ports, label } = portsToScan(config, options.ports);
  const timeout = timeoutMs(options.timeout);

  const started = performance.now();
  const probes = await scanTcp(host, ports, { timeoutMs: timeout });
  const elapsedMs = performance.now() - started;
  const open = probes.filter((p) => p.state === "open").map((p) => describeOpen(p, config));
  const closed = probes.filter((p) => p.state === "closed").length;
  const filtered = probes.length - open.length - closed;
  const selfConnects = probes.filter((p) => p.selfConnects > 0).map((p) => p.port);

  if (json)
    return JSON.stringify(
      { host, scanned: ports.length, open, closed, filtered, selfConnects, timeoutMs: timeout, elapsedMs },
      null,
      2,
    );
  const rows = open.map((p) => [
    `${p.port}/tcp`,
    "open",
    p.names.join(", ") || "-",
    p.porthost ?? "-",
    p.localPort === undefined ? "-" : String(p.localPort),
  ]);
  const http = config.services.http;
  return [
    `porthost scan ${host}: ${ports.length} TCP port${ports.length === 1 ? "" : "s"} (${label}), a connect scan like nmap -sT`,
    "",
    open.length > 0
      ? renderTable(["port", "state", "well-known name", "porthost", "your port"], rows)
      : "no open ports: nothing accepted a connection",
    "",
    `${open.length} open; ${closed} closed (a reset came back: nothing listens); ` +
      `${filtered} filtered (no answer within ${timeout} ms). ${(elapsedMs / 1000).toFixed(2)} s.`,
    `Each open port got a handshake and an immediate close, from an ephemeral port of yours ("your port").`,
    ...(selfConnects.length > 0
      ? [
          `Self-connect${selfConnects.length === 1 ? "" : "s"} on ${selfConnects.join(", ")}: the kernel picked that very ` +
            `port as your ephemeral port, so the handshake met itself (TCP simultaneous open). ` +
            `Probed again from another port, as nmap does: closed.`,
        ]
      : []),
    `Services log such connections: watch them arrive on the switchboard, http://${formatAddress(http.addr)}/`,
  ].join("\n");
}
