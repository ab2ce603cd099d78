import { endpoints, formatAddress, rangeClass, serviceSpec, type PorthostConfig } from "@porthost/ports";
import { renderTable } from "../table.js";
import { tryIt } from "../try-it.js";

export interface PortsRow {
  readonly service: string;
  readonly transports: readonly string[];
  readonly wellKnownPort: number;
  readonly port: number;
  readonly rangeClass: string;
  readonly addr: string;
  readonly implemented: boolean;
  readonly description: string;
  /** knock only: the sequence's ports in order. */
  readonly sequence?: readonly { readonly port: number; readonly transport: string }[];
}

export function portsRows(config: PorthostConfig): PortsRow[] {
  return Object.values(config.services).map((s) => ({
    service: s.name,
    transports: s.transports,
    wellKnownPort: s.wellKnownPort,
    port: s.port,
    rangeClass: rangeClass(s.port),
    addr: formatAddress(s.addr),
    implemented: s.implemented,
    description: s.description,
    ...(s.sequence ? { sequence: s.sequence } : {}),
  }));
}

/** `porthost ports [--json]`: the service table as this configuration resolves it. */
export function portsCommand(config: PorthostConfig, json: boolean): string {
  if (json) return JSON.stringify(portsRows(config), null, 2);
  // One row per endpoint: the same number over TCP and over UDP are two endpoints.
  // The knock service is one row per knock, in order: its sequence.
  const rows = Object.values(config.services).flatMap((s) =>
    endpoints(s).map(({ port, transport }, index) => [
      s.name,
      transport,
      String(serviceSpec(s.name).sequence?.[index]?.port ?? s.wellKnownPort),
      String(port),
      rangeClass(port),
      s.implemented ? tryIt(config, s, transport) : "(not served yet)",
    ]),
  );
  const header = `porthost binds ${config.host}; each port is its well-known number + ${config.portOffset} (PORTHOST_PORT_OFFSET).`;
  return `${header}\n\n${renderTable(["service", "transport", "well-known", "port", "range", "try it"], rows)}`;
}
