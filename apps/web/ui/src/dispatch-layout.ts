import type { PortEntry } from "./api-types.js";

export type Transport = "tcp" | "udp";

/** A port of a knock sequence, as `porthost ports --json` and /api/ports list it (issue 18). */
interface SequenceStep {
  readonly port: number;
  readonly transport: Transport;
}

/** A row of /api/ports; `sequence` arrives with knocking and is read when present. */
export type PortRow = PortEntry & { readonly sequence?: readonly SequenceStep[] };

/** One door of the host: one port on one transport, the way a packet finds its service. */
export interface Door {
  /** "8025/tcp": the key events are matched by (localPort/transport). */
  readonly key: string;
  readonly port: number;
  readonly transport: Transport;
  readonly service: string;
  /** The IANA number beside the local one, when it differs. */
  readonly wellKnownPort: number | undefined;
  /** For a knock sequence: which knocks (1-based) land on this port, of how many. */
  readonly step: { readonly index: readonly number[]; readonly of: number } | undefined;
  readonly served: boolean;
  readonly status: string | undefined;
}

export interface ServiceGroup {
  readonly name: string;
  readonly app: string;
  readonly description: string;
  readonly doors: Door[];
}

export const doorKey = (port: number, transport: string): string => `${port}/${transport}`;

/** The label a door carries: the local number, with the well-known one beside it, "8025 (25)". */
export function doorLabel(door: Door): string {
  return door.wellKnownPort === undefined || door.wellKnownPort === door.port
    ? String(door.port)
    : `${door.port} (${door.wellKnownPort})`;
}

function doorsOf(row: PortRow): Door[] {
  const common = { service: row.name, served: row.implemented, status: row.status };
  if (row.sequence && row.sequence.length > 0) {
    // A sequence may knock twice on one port: one door, both step numbers on it.
    const of = row.sequence.length;
    // The steps moved by the row's offset (its first step is its port) show their well-known numbers too.
    const offset = row.sequence[0]?.port === row.port ? row.port - row.wellKnownPort : undefined;
    const wellKnown = (port: number) => (offset !== undefined && port - offset > 0 ? port - offset : undefined);
    const doors = new Map<string, Door>();
    row.sequence.forEach((step, i) => {
      const key = doorKey(step.port, step.transport);
      const index = [...(doors.get(key)?.step?.index ?? []), i + 1];
      doors.set(key, {
        ...common,
        key,
        port: step.port,
        transport: step.transport,
        wellKnownPort: wellKnown(step.port),
        step: { index, of },
      });
    });
    return [...doors.values()];
  }
  return row.transports.map((transport) => ({
    ...common,
    key: doorKey(row.port, transport),
    port: row.port,
    transport,
    wellKnownPort: row.wellKnownPort,
    step: undefined,
  }));
}

/**
 * The host's doors, grouped by service; services of one app stay together (smtp, submission,
 * submissions), apps in order of their lowest well-known port, so echo (7) comes first.
 */
export function serviceGroups(rows: readonly PortRow[]): ServiceGroup[] {
  const appFirst = new Map<string, number>();
  for (const row of rows) appFirst.set(row.app, Math.min(appFirst.get(row.app) ?? Infinity, row.wellKnownPort));
  const seen = new Set<string>();
  return [...rows]
    .sort(
      (a, b) =>
        (appFirst.get(a.app) ?? 0) - (appFirst.get(b.app) ?? 0) ||
        a.app.localeCompare(b.app) ||
        a.wellKnownPort - b.wellKnownPort,
    )
    .map((row) => ({
      name: row.name,
      app: row.app,
      description: row.description,
      // A port/transport serves one service; a table that says otherwise draws it once.
      doors: doorsOf(row).filter((door) => !seen.has(door.key) && seen.add(door.key)),
    }))
    .filter((group) => group.doors.length > 0);
}

/** A door for a port the table does not list (an event from a service this page has not heard of). */
export function strayDoor(port: number, transport: Transport, service: string): Door {
  return {
    key: doorKey(port, transport),
    port,
    transport,
    service,
    wellKnownPort: undefined,
    step: undefined,
    served: true,
    status: undefined,
  };
}

export interface DoorPlace {
  readonly door: Door;
  /** The line a connection takes through the door. */
  readonly y: number;
  readonly top: number;
}

export interface GroupPlace {
  readonly group: ServiceGroup;
  readonly top: number;
  readonly bottom: number;
}

/** Where everything goes, in viewBox units that equal CSS pixels at the width it was made for. */
export interface Geometry {
  readonly width: number;
  readonly height: number;
  readonly narrow: boolean;
  /** Where a client's port sits: its label ends just left of it. */
  readonly clientX: number;
  readonly hostX: number;
  readonly hostTop: number;
  readonly laneX: number;
  readonly serviceX: number;
  readonly serviceRight: number;
  readonly sparkX: number;
  readonly sparkWidth: number;
  readonly rowHeight: number;
  readonly doors: ReadonlyMap<string, DoorPlace>;
  readonly groups: readonly GroupPlace[];
  /** Heights where client labels go, top to bottom. */
  readonly slots: readonly number[];
}

const MARGIN = 6;
const HOST_TITLE = 30;
const SERVICE_GAP = 6;
const APP_GAP = 14;
const SLOT_HEIGHT = 17;

export function layout(width: number, groups: readonly ServiceGroup[]): Geometry {
  const narrow = width < 620;
  const rowHeight = narrow ? 28 : 30;
  const clientWidth = narrow ? Math.max(92, width * 0.27) : Math.min(190, width * 0.2);
  const clientX = MARGIN + clientWidth;
  const hostX = clientX + (narrow ? 22 : Math.min(90, width * 0.07));
  const serviceWidth = narrow ? Math.max(70, width * 0.2) : Math.min(210, width * 0.2);
  const serviceRight = width - MARGIN - 6;
  const serviceX = serviceRight - serviceWidth;
  const laneX = hostX + 12;
  const sparkWidth = narrow ? 0 : Math.min(120, (serviceX - laneX) * 0.3);
  const sparkX = serviceX - 52 - sparkWidth;
  const doors = new Map<string, DoorPlace>();
  const places: GroupPlace[] = [];
  const hostTop = MARGIN;
  let y = hostTop + HOST_TITLE;
  let previousApp: string | undefined;
  for (const group of groups) {
    if (previousApp !== undefined) y += group.app === previousApp ? SERVICE_GAP : APP_GAP;
    previousApp = group.app;
    const top = y;
    for (const door of group.doors) {
      doors.set(door.key, { door, top: y, y: y + rowHeight - 9 });
      y += rowHeight;
    }
    places.push({ group, top, bottom: y });
  }
  const contentBottom = y + 10;
  const slotCount = Math.max(6, Math.floor((contentBottom - hostTop - 26) / SLOT_HEIGHT));
  const slots = Array.from({ length: slotCount }, (_, i) => hostTop + 30 + i * SLOT_HEIGHT);
  const height = Math.max(contentBottom, (slots.at(-1) ?? 0) + 10) + MARGIN;
  return {
    width,
    height,
    narrow,
    clientX,
    hostX,
    hostTop,
    laneX,
    serviceX,
    serviceRight,
    sparkX,
    sparkWidth,
    rowHeight,
    doors,
    groups: places,
    slots,
  };
}

/** The way a connection takes: from the client's port, through its door, to the service. */
export function route(geometry: Geometry, slotY: number, doorY: number): string {
  const bend = (geometry.clientX + geometry.hostX) / 2;
  const c = geometry.clientX;
  return `M${c},${slotY} C${bend},${slotY} ${bend},${doorY} ${geometry.hostX - 6},${doorY} L${geometry.serviceX},${doorY}`;
}

/** A point of route() at t in 0..1: the curve to the door for the first third, then the straight lane. */
export function pointOnRoute(geometry: Geometry, slotY: number, doorY: number, t: number): [number, number] {
  const curveShare = 1 / 3;
  const doorX = geometry.hostX - 6;
  if (t >= curveShare) {
    const u = (t - curveShare) / (1 - curveShare);
    return [doorX + (geometry.serviceX - doorX) * u, doorY];
  }
  const u = t / curveShare;
  const bend = (geometry.clientX + geometry.hostX) / 2;
  const x0 = geometry.clientX;
  const mt = 1 - u;
  // A cubic Bézier with both control points at the bend, as route() draws it.
  const x = mt ** 3 * x0 + 3 * mt * mt * u * bend + 3 * mt * u * u * bend + u ** 3 * doorX;
  const y = mt ** 3 * slotY + 3 * mt * mt * u * slotY + 3 * mt * u * u * doorY + u ** 3 * doorY;
  return [x, y];
}
