import { outcomeWord } from "@porthost/events/outcome";
import type { NumberedEvent } from "./api-types.js";
import { pointOnRoute, route, type DoorPlace, type Geometry } from "./dispatch-layout.js";
import { endpoint } from "./format.js";
import { setAttrs, svg } from "./svg.js";

/** A connection or datagram as the picture reads it. */
export type PictureEvent = NumberedEvent;

/** How long a new shape moves from the client to its service. */
const TRAVEL_MS = 700;
/** Whoever asked their system for less motion sees each shape arrive at once, and fade. */
const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");
/** After this it rests, faint, until its client's place is needed again. */
const FADE_MS = 2_400; // 2.4 s
const REST_OPACITY = 0.45;

const SERVICE_COLOURS: Record<string, string> = {
  http: "#2f6fd0",
  https: "#1f8f9a",
  smtp: "#d2691e",
  submission: "#c0552a",
  submissions: "#b8860b",
  pop3: "#8a4fc7",
  pop3s: "#b04fa0",
  echo: "#2e9a4c",
  discard: "#6f7d8c",
  knock: "#c23b6b",
  vault: "#9a7b0e",
};
const SPARE_COLOURS = ["#3d8f7f", "#a05a2c", "#5a6fd0", "#8f7d2f", "#b0457a"];

/** One colour per service, the same everywhere in the picture. */
export function serviceColour(service: string): string {
  const known = SERVICE_COLOURS[service];
  if (known) return known;
  let hash = 0;
  for (const c of service) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return SPARE_COLOURS[hash % SPARE_COLOURS.length]!;
}

/** Where a knock left its client: "knock 2 of 3" gives [2, 3], a wrong knock's "back to 0 of 3" [0, 3]. */
export function knockStep(event: PictureEvent): [number, number] | undefined {
  const match = /(?:knock|back to) (\d+) of (\d+)/.exec(event.detail ?? "");
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

const OUTCOME_GLYPHS: Record<string, string> = { ok: "✓", refused: "✕", error: "!", timeout: "…", limited: "–" };

function endText(event: PictureEvent): string {
  const step = knockStep(event);
  if (step && event.outcome === "ok") return `${step[0]}/${step[1]}`;
  if (event.probe === true) return "·";
  return OUTCOME_GLYPHS[event.outcome] ?? "·";
}

/** The client as its label shows it, shortened from the left to fit: the port always shows. */
export function clientText(event: PictureEvent, maxChars: number): string {
  const text = endpoint(event.remoteAddress, event.remotePort);
  return text.length <= maxChars ? text : `…${text.slice(text.length - maxChars + 1)}`;
}

export function describeEvent(event: PictureEvent): string {
  const tls = event.tls ? `, ${event.tls.version} (${event.tls.mode})` : "";
  const detail = event.detail && event.probe !== true ? `: ${event.detail}` : "";
  return `${endpoint(event.remoteAddress, event.remotePort)} → ${event.localPort}/${event.transport} → ${event.service}${tls}, ${outcomeWord(event)}${detail}`;
}

interface Flight {
  readonly node: SVGGElement;
  readonly path: SVGPathElement;
  readonly dot: SVGCircleElement;
  readonly lock: SVGUseElement;
  readonly end: SVGGElement;
  readonly endMark: SVGCircleElement;
  readonly endText: SVGTextElement;
  readonly address: SVGTSpanElement;
  readonly port: SVGTSpanElement;
  readonly title: SVGTitleElement;
  event: PictureEvent | undefined;
  client: string;
  slot: number;
  doorY: number;
  started: number;
}

function makeFlight(slot: number): Flight {
  const path = svg("path", { class: "flight-route", pathLength: 1 });
  const dot = svg("circle", { class: "flight-dot", r: 4 });
  const lock = svg("use", { class: "flight-lock", href: "#dispatch-lock", width: 10, height: 12 });
  const endMark = svg("circle", { class: "flight-end-mark", r: 7 });
  const endText = svg("text", { class: "flight-end-text", "text-anchor": "middle", dy: "0.35em" });
  const end = svg("g", { class: "flight-end" }, endMark, endText);
  const address = svg("tspan", { class: "client-address" });
  const port = svg("tspan", { class: "client-port" });
  const label = svg("text", { class: "client-label" }, address, port);
  const title = svg("title");
  const node = svg("g", { class: "flight" }, title, path, lock, dot, end, label);
  return {
    node,
    path,
    dot,
    lock,
    end,
    endMark,
    endText,
    address,
    port,
    title,
    event: undefined,
    client: "",
    slot,
    doorY: 0,
    started: 0,
  };
}

/**
 * The connections on the picture: a fixed pool of SVG groups, one per client place at the left
 * edge, reused oldest first, so the node count never grows with the traffic.
 */
export class Flights {
  private readonly pool: Flight[] = [];
  private readonly byNode = new WeakMap<Element, Flight>();
  private readonly byClient = new Map<string, Flight>();
  private next = 0;
  private chosen: string | undefined;

  constructor(
    private readonly layer: SVGGElement,
    private geometry: Geometry,
  ) {}

  /** The event a shape under the pointer stands for. */
  eventAt(target: EventTarget | null): PictureEvent | undefined {
    const node = target instanceof Element ? target.closest(".flight") : null;
    return node ? this.byNode.get(node)?.event : undefined;
  }

  /** The layout changed: shapes at rest move to their doors' new places; ones whose door is gone vanish. */
  relayout(geometry: Geometry, doorOf: (event: PictureEvent) => DoorPlace | undefined): void {
    this.geometry = geometry;
    const slots = geometry.slots.length;
    for (const flight of this.pool.splice(slots)) {
      flight.node.remove();
      this.byClient.delete(flight.client);
    }
    this.next %= Math.max(1, slots);
    for (const flight of this.pool) {
      const door = flight.event ? doorOf(flight.event) : undefined;
      if (!flight.event || !door) {
        flight.node.setAttribute("visibility", "hidden");
        continue;
      }
      this.place(flight, flight.event, door);
    }
  }

  /** The selected door's connections stand out; undefined shows all alike. */
  choose(doorKey: string | undefined): void {
    this.chosen = doorKey;
    for (const flight of this.pool) {
      const key = flight.node.dataset.door;
      setAttrs(flight.node, { "data-chosen": key !== undefined && key === doorKey ? "true" : undefined });
    }
  }

  /** Draws a new connection from its client's place through its door; returns the shape. */
  launch(event: PictureEvent, door: DoorPlace, now: number): SVGGElement {
    const client = endpoint(event.remoteAddress, event.remotePort) + "/" + event.transport;
    let flight = this.byClient.get(client);
    if (!flight) {
      flight = this.pool[this.next];
      if (!flight) {
        flight = makeFlight(this.next);
        this.pool.push(flight);
        this.byNode.set(flight.node, flight);
        this.layer.append(flight.node);
      }
      this.next = (this.next + 1) % this.geometry.slots.length;
      this.byClient.delete(flight.client);
      flight.client = client;
      this.byClient.set(client, flight);
    }
    flight.started = now;
    this.place(flight, event, door);
    // The newest shape on top.
    this.layer.append(flight.node);
    return flight.node;
  }

  private place(flight: Flight, event: PictureEvent, door: DoorPlace): void {
    const g = this.geometry;
    const slotY = g.slots[flight.slot] ?? g.slots[0] ?? 0;
    const udp = event.transport === "udp";
    flight.event = event;
    flight.doorY = door.y;
    const colour = serviceColour(event.service);
    setAttrs(flight.node, {
      visibility: undefined,
      "data-id": event.id,
      "data-client": endpoint(event.remoteAddress, event.remotePort),
      "data-door": door.door.key,
      "data-service": event.service,
      "data-transport": event.transport,
      "data-outcome": event.outcome,
      "data-tls": event.tls ? event.tls.mode : undefined,
      "data-probe": event.probe === true ? "true" : undefined,
      "data-chosen": door.door.key === this.chosen ? "true" : undefined,
    });
    flight.title.textContent = describeEvent(event);
    setAttrs(flight.path, {
      d: route(g, slotY, door.y),
      stroke: colour,
      "stroke-dasharray": udp ? "0 0.012" : "1 1",
    });
    setAttrs(flight.dot, { fill: colour, visibility: udp ? undefined : "hidden" });
    setAttrs(flight.lock, {
      x: g.hostX - 26,
      y: door.y - 13,
      visibility: event.tls ? undefined : "hidden",
    });
    const endX = g.serviceX - 9;
    setAttrs(flight.end, {
      transform: `translate(${endX},${door.y})`,
      "data-outcome": event.probe === true ? "probe" : event.outcome,
    });
    flight.endText.textContent = endText(event);
    // Monospace glyphs are about 0.61 em wide: 10.5 px text on a narrow picture, 12 px on a wide one.
    const chars = Math.floor((g.clientX - 8) / (g.narrow ? 6.4 : 7.3));
    const text = clientText(event, chars);
    const colon = text.lastIndexOf(":");
    flight.address.textContent = text.slice(0, colon);
    flight.port.textContent = text.slice(colon);
    setAttrs(flight.node.querySelector(".client-label")!, { x: g.clientX - 5, y: slotY + 4, "text-anchor": "end" });
    this.animate(flight, performance.now());
  }

  /** Moves each young shape on; true while some still move or fade. */
  frame(now: number): boolean {
    let busy = false;
    for (const flight of this.pool) if (this.animate(flight, now)) busy = true;
    return busy;
  }

  private animate(flight: Flight, now: number): boolean {
    const event = flight.event;
    if (!event) return false;
    const age = now - flight.started;
    if (age > FADE_MS && flight.node.dataset.rest === "true") return false;
    const t = reducedMotion.matches ? 1 : Math.min(1, Math.max(0, age / TRAVEL_MS));
    const eased = 1 - (1 - t) ** 3;
    if (event.transport === "udp") {
      const g = this.geometry;
      const [x, y] = pointOnRoute(g, g.slots[flight.slot] ?? 0, flight.doorY, eased);
      setAttrs(flight.dot, { cx: x.toFixed(1), cy: y.toFixed(1) });
    } else {
      flight.path.setAttribute("stroke-dashoffset", (1 - eased).toFixed(3));
    }
    flight.end.setAttribute("visibility", t < 1 ? "hidden" : "visible");
    const fade =
      age <= TRAVEL_MS
        ? 1
        : Math.max(REST_OPACITY, 1 - ((age - TRAVEL_MS) / (FADE_MS - TRAVEL_MS)) * (1 - REST_OPACITY));
    flight.node.setAttribute("opacity", fade.toFixed(2));
    flight.node.dataset.rest = String(age > FADE_MS);
    return age <= FADE_MS;
  }
}
