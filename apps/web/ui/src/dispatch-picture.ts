import "../dispatch-picture.css";
import { outcomeWord } from "@porthost/events/outcome";
import { el } from "./dom.js";
import {
  doorLabel,
  layout,
  serviceGroups,
  strayDoor,
  type Door,
  type Geometry,
  type PortRow,
  type ServiceGroup,
  type Transport,
} from "./dispatch-layout.js";
import { describeEvent, Flights, knockStep, serviceColour, type PictureEvent } from "./dispatch-flights.js";
import { Sampler, samplingText } from "./dispatch-sampler.js";
import type { EventStream } from "./event-stream.js";
import { bytes, clock, endpoint, ms } from "./format.js";
import { setAttrs, svg } from "./svg.js";

/** Seconds a sparkline covers. */
const SPARK_SECONDS = 60;
/** Events a door keeps for its details. */
const RECENT_PER_DOOR = 5;
/** Events older than this when they arrive are the stream's history: counted, not drawn as new. */
const LIVE_WITHIN_MS = 10_000; // 10 s
/** Doors made for ports the table does not list; more than this are counted under "other ports". */
const MAX_STRAY_DOORS = 16;
/** Knocking addresses remembered for the knock box's progress line. */
const MAX_KNOCKERS = 64;
const TICK_MS = 1_000; // 1 s: sparklines, rates and the sampling notice

interface DoorState {
  door: Door;
  count: number;
  /** Connections per second, the newest last. */
  readonly perSecond: number[];
  second: number;
  readonly recent: PictureEvent[];
  dirty: boolean;
  node?: SVGGElement;
  countText?: SVGTextElement;
  spark?: SVGPolylineElement;
}

/** Squeezes a label that would overflow its room (SVG text does not wrap), by its estimated monospace width. */
function fit(text: SVGTextElement, chars: number, fontPx: number, room: number): SVGTextElement {
  if (chars * fontPx * 0.61 > room)
    setAttrs(text, { textLength: Math.max(10, room), lengthAdjust: "spacingAndGlyphs" });
  return text;
}

/** Both numbers of a door, in words: "port 8025 (well-known 25) over TCP". */
function doorWords(door: Door): string {
  const wellKnown =
    door.wellKnownPort !== undefined && door.wellKnownPort !== door.port ? ` (well-known ${door.wellKnownPort})` : "";
  const step = door.step ? `, knock ${door.step.index.join(" and ")} of ${door.step.of}` : "";
  return `port ${door.port}${wellKnown} over ${door.transport.toUpperCase()}, ${door.service}${step}`;
}

function eventFacts(event: PictureEvent): HTMLElement {
  const facts: [string, string][] = [
    ["time", `${clock(event.time)} (event #${event.id})`],
    ["client", `${endpoint(event.remoteAddress, event.remotePort)}: the client's address and ephemeral port`],
    ["door", `${event.localPort}/${event.transport}: the port that chose the service`],
    ["service", event.service],
    ["bytes", `${bytes(event.bytesIn)} in, ${bytes(event.bytesOut)} out, ${ms(event.durationMs)}`],
    ["outcome", event.detail ? `${outcomeWord(event)}: ${event.detail}` : outcomeWord(event)],
  ];
  if (event.tls) facts.push(["TLS", `${event.tls.version}, ${event.tls.cipher} (${event.tls.mode})`]);
  if (event.session) facts.push(["session", `/api/sessions/${event.session}`]);
  return el("dl", { class: "facts" }, ...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

/**
 * The live picture of dispatch: the host as a box with a door per port and transport, clients at
 * the left edge, and each connection drawn from its client's port through its door to its service.
 * Counters are exact; the shapes are a sample when the rate is above what a frame can draw.
 */
export class DispatchPicture {
  private rows: readonly PortRow[] = [];
  private readonly doors = new Map<string, DoorState>();
  private readonly strays: Door[] = [];
  private order: string[] = [];
  private geometry: Geometry;
  private total = 0;
  private other = 0;
  private selected: string | undefined;
  private pinned: PictureEvent | undefined;
  private frameRequested = false;
  private readonly sampler = new Sampler<PictureEvent>();
  /** Each knocking address's progress, the latest last. */
  private readonly knocks = new Map<string, string>();

  private readonly svgRoot = svg("svg", {
    class: "dispatch-svg",
    role: "group",
    "aria-labelledby": "dispatch-svg-title",
    "aria-describedby": "dispatch-svg-desc",
  });
  private readonly hostLayer = svg("g", { class: "host-layer" });
  private readonly doorLayer = svg("g", { class: "door-layer", role: "list", "aria-label": "Doors: one per port" });
  private readonly flightLayer = svg("g", { class: "flight-layer" });
  private readonly flights: Flights;
  private readonly summary = el("span", { class: "dispatch-total", "data-total": "0" }, "No connection yet.");
  private readonly sampling = el("span", { class: "dispatch-sampling", hidden: true });
  private readonly detail = el("div", { class: "dispatch-detail panel", id: "dispatch-detail", hidden: true });
  private readonly announcer = el("p", { class: "visually-hidden", "aria-live": "polite" });

  constructor(
    private readonly root: HTMLElement,
    stream: EventStream,
  ) {
    this.geometry = layout(this.width(), []);
    this.flights = new Flights(this.flightLayer, this.geometry);
    this.svgRoot.append(
      svg(
        "title",
        { id: "dispatch-svg-title" },
        "Dispatch: clients on the left, this host's doors (one per port and transport) and the services behind them",
      ),
      svg(
        "desc",
        { id: "dispatch-svg-desc" },
        "Each connection is drawn from the client's ephemeral port through the door of the port it reached to the service that took it. Arrow keys move between doors; Enter shows a door's connections.",
      ),
      svg(
        "defs",
        {},
        svg(
          "symbol",
          { id: "dispatch-lock", viewBox: "0 0 10 12" },
          svg("path", {
            d: "M2.5 5.5V3.5a2.5 2.5 0 0 1 5 0v2",
            fill: "none",
            stroke: "currentColor",
            "stroke-width": 1.4,
          }),
          svg("rect", { x: 0.5, y: 5, width: 9, height: 6.5, rx: 1.2, fill: "currentColor" }),
        ),
      ),
      this.hostLayer,
      this.doorLayer,
      this.flightLayer,
    );
    this.root.replaceChildren(
      el("p", { class: "dispatch-bar" }, this.summary, " ", this.sampling),
      el("div", { class: "dispatch-frame" }, this.svgRoot),
      el(
        "p",
        { class: "dispatch-legend note" },
        "Lines are TCP connections, dots are UDP datagrams, a lock marks TLS, grey is a port check (connected, sent nothing); the mark at the service is the outcome (✓ ok, ✕ refused, ! error, … timeout). The line in each door is its connections per second over the last minute.",
      ),
      this.detail,
      this.announcer,
    );
    this.bindInput();
    stream.onEvent((event) => this.add(event as PictureEvent));
    new ResizeObserver(() => {
      if (Math.abs(this.width() - this.geometry.width) >= 1) this.relayout();
    }).observe(this.root);
    setInterval(() => this.tick(), TICK_MS);
    this.relayout();
  }

  /** The host's table (/api/ports): one door per port and transport, grouped by service. */
  setServices(rows: readonly PortRow[]): void {
    const before = JSON.stringify(this.rows);
    this.rows = rows;
    if (JSON.stringify(rows) !== before) this.relayout();
  }

  private width(): number {
    return Math.max(300, Math.round(this.root.clientWidth || 960));
  }

  private groups(): ServiceGroup[] {
    const groups = serviceGroups(this.rows);
    const known = new Set(groups.flatMap((g) => g.doors.map((d) => d.key)));
    for (const door of this.strays) {
      if (known.has(door.key)) continue;
      const group = groups.find((g) => g.name === door.service);
      if (group) group.doors.push(door);
      else
        groups.push({ name: door.service, app: door.service, description: "not in this host's table", doors: [door] });
    }
    return groups;
  }

  private relayout(): void {
    const groups = this.groups();
    this.geometry = layout(this.width(), groups);
    const g = this.geometry;
    setAttrs(this.svgRoot, {
      viewBox: `0 0 ${g.width} ${g.height}`,
      width: g.width,
      height: g.height,
      "data-narrow": String(g.narrow),
    });
    this.drawHost();
    this.order = [...g.doors.keys()];
    for (const key of this.order) {
      const place = g.doors.get(key)!;
      const state = this.doors.get(key) ?? this.newDoorState(place.door);
      state.door = place.door;
      this.doors.set(key, state);
    }
    this.drawDoors();
    this.flights.relayout(g, (event) => g.doors.get(`${event.localPort}/${event.transport}`));
    this.drawSparklines();
  }

  private newDoorState(door: Door): DoorState {
    return {
      door,
      count: 0,
      perSecond: new Array<number>(SPARK_SECONDS).fill(0),
      second: Math.floor(Date.now() / 1_000),
      recent: [],
      dirty: true,
    };
  }

  private drawHost(): void {
    const g = this.geometry;
    const boxes = g.groups.map((place) => {
      const colour = serviceColour(place.group.name);
      const height = place.bottom - place.top - 4;
      const box = svg(
        "g",
        { class: "service", "data-service-box": place.group.name },
        svg("rect", {
          x: g.serviceX,
          y: place.top + 2,
          width: g.serviceRight - g.serviceX,
          height,
          rx: 5,
          fill: colour,
          "fill-opacity": 0.14,
          stroke: colour,
        }),
        fit(
          svg("text", { class: "service-name", x: g.serviceX + 6, y: place.top + 17, fill: colour }, place.group.name),
          place.group.name.length,
          g.narrow ? 10.5 : 12,
          g.serviceRight - g.serviceX - 10,
        ),
      );
      if (height > 34 && !g.narrow) {
        box.append(
          svg("text", { class: "service-app", x: g.serviceX + 8, y: place.top + 31 }, `app: ${place.group.app}`),
        );
      }
      if (place.group.name === "knock") {
        box.append(
          svg("text", {
            class: "knock-progress",
            x: g.serviceX + 8,
            y: place.bottom - 9,
            "data-knock": "",
          }),
        );
      }
      return box;
    });
    this.hostLayer.replaceChildren(
      svg("rect", {
        class: "host-box",
        x: g.hostX,
        y: g.hostTop,
        width: g.width - 6 - g.hostX,
        height: g.height - 2 * g.hostTop,
        rx: 8,
      }),
      svg("text", { class: "host-title", x: g.hostX + 12, y: g.hostTop + 19 }, `this host${this.hostName()}`),
      svg(
        "text",
        { class: "clients-title", x: g.clientX - 5, y: g.hostTop + 2, "text-anchor": "end", dy: "0.8em" },
        "clients",
      ),
      ...boxes,
    );
    this.showKnocks();
  }

  private hostName(): string {
    const host = location.hostname;
    return host ? ` (${host})` : "";
  }

  private drawDoors(): void {
    const g = this.geometry;
    const nodes = this.order.map((key, index) => {
      const place = g.doors.get(key)!;
      const state = this.doors.get(key)!;
      const door = place.door;
      const colour = serviceColour(door.service);
      const labelY = place.y - 6;
      const countText = svg("text", { class: "door-count", x: g.serviceX - 20, y: labelY, "text-anchor": "end" });
      const spark = svg("polyline", { class: "door-spark", stroke: colour });
      const label = svg(
        "text",
        { class: "door-label", x: g.laneX, y: labelY },
        doorLabel(door),
        svg("tspan", { class: "door-transport" }, ` ${door.transport}`),
      );
      const step = door.step ? ` knock ${door.step.index.join("+")}` : "";
      if (step) label.append(svg("tspan", { class: "door-step" }, step));
      // The label leaves room for a five-digit count before the service.
      const fontPx = g.narrow ? 10.5 : 12;
      fit(
        label,
        `${doorLabel(door)} ${door.transport}${step}`.length,
        fontPx,
        g.serviceX - 24 - 5 * fontPx * 0.61 - g.laneX,
      );
      const node = svg(
        "g",
        {
          class: "door",
          role: "button",
          tabindex:
            (this.selected ?? this.order[0]) === key || (index === 0 && !this.order.includes(this.selected ?? ""))
              ? 0
              : -1,
          "aria-pressed": String(this.selected === key),
          "aria-controls": "dispatch-detail",
          "data-door": key,
          "data-door-service": door.service,
          "data-status": door.served ? (door.status ?? "unknown") : "not-served",
        },
        svg("title", {}, doorWords(door)),
        svg("rect", {
          class: "door-hit",
          x: g.hostX - 10,
          y: place.top,
          width: g.serviceX - g.hostX + 10,
          height: g.rowHeight,
        }),
        svg("rect", { class: "door-gap", x: g.hostX - 4, y: place.y - 7, width: 8, height: 14, rx: 2, fill: colour }),
        svg("line", { class: "door-lane", x1: g.hostX + 4, y1: place.y, x2: g.serviceX, y2: place.y, stroke: colour }),
        label,
        spark,
        countText,
      );
      state.node = node;
      state.countText = countText;
      state.spark = spark;
      state.dirty = true;
      this.writeCount(state);
      return svg("g", { role: "listitem" }, node);
    });
    this.doorLayer.replaceChildren(...nodes);
  }

  private writeCount(state: DoorState): void {
    if (!state.dirty || !state.node || !state.countText) return;
    state.dirty = false;
    state.countText.textContent = String(state.count);
    state.node.dataset.count = String(state.count);
  }

  private add(event: PictureEvent): void {
    this.total += 1;
    const now = Date.now();
    const state = this.doorFor(event);
    if (!state) this.other += 1;
    else {
      state.count += 1;
      state.dirty = true;
      const at = Date.parse(event.time);
      this.countSecond(state, Number.isNaN(at) ? now : Math.min(at, now));
      state.recent.unshift(event);
      if (state.recent.length > RECENT_PER_DOOR) state.recent.length = RECENT_PER_DOOR;
    }
    if (event.service === "knock") {
      // Newest last: a knock from a new address past the limit forgets the address heard from longest ago.
      this.knocks.delete(event.remoteAddress);
      this.knocks.set(event.remoteAddress, this.knockWords(event));
      if (this.knocks.size > MAX_KNOCKERS) this.knocks.delete(this.knocks.keys().next().value!);
    }
    const age = now - Date.parse(event.time);
    if (state && !(age > LIVE_WITHIN_MS)) this.sampler.offer(event, performance.now());
    this.requestFrame();
  }

  /** A knock's progress for the knock service's box: "●●○ 2 of 3", and whether the vault opened or the knock was wrong. */
  private knockWords(event: PictureEvent): string {
    const step = knockStep(event);
    if (!step) return event.detail ?? outcomeWord(event);
    const [k, n] = step;
    const pips = `${"●".repeat(k)}${"○".repeat(Math.max(0, n - k))} ${k} of ${n}`;
    if (/vault open/.test(event.detail ?? "")) return `${pips}: vault open`;
    return /wrong/.test(event.detail ?? "") ? `${pips}: wrong knock` : pips;
  }

  private showKnocks(): void {
    const line = this.hostLayer.querySelector<SVGTextElement>("[data-knock]");
    if (!line) return;
    const latest = [...this.knocks.entries()].at(-1);
    const text = latest ? `${latest[0]}: ${latest[1]}` : "";
    if (line.textContent === text) return;
    line.textContent = text;
    line.removeAttribute("textLength");
    const g = this.geometry;
    fit(line, text.length, 10.5, g.serviceRight - g.serviceX - 10);
  }

  private doorFor(event: PictureEvent): DoorState | undefined {
    const key = `${event.localPort}/${event.transport}`;
    const known = this.doors.get(key);
    if (known) return known;
    if (this.strays.length >= MAX_STRAY_DOORS) return undefined;
    const door = strayDoor(event.localPort, event.transport as Transport, event.service);
    this.strays.push(door);
    this.relayout();
    return this.doors.get(key);
  }

  private countSecond(state: DoorState, at: number): void {
    this.advance(state, Math.floor(Date.now() / 1_000));
    const back = state.second - Math.floor(at / 1_000);
    if (back >= 0 && back < SPARK_SECONDS) state.perSecond[SPARK_SECONDS - 1 - back]! += 1;
  }

  private advance(state: DoorState, second: number): void {
    const shift = Math.min(SPARK_SECONDS, second - state.second);
    if (shift <= 0) return;
    state.perSecond.splice(0, shift);
    for (let i = 0; i < shift; i++) state.perSecond.push(0);
    state.second = second;
  }

  private requestFrame(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame((now) => this.frame(now));
  }

  private frame(now: number): void {
    this.frameRequested = false;
    for (const event of this.sampler.take(now)) {
      const place = this.geometry.doors.get(`${event.localPort}/${event.transport}`);
      if (place) this.flights.launch(event, place, now);
    }
    for (const state of this.doors.values()) this.writeCount(state);
    this.writeTotal();
    if (this.flights.frame(now) || this.sampler.waiting) this.requestFrame();
  }

  private writeTotal(): void {
    const other =
      this.other > 0 ? ` (${this.other} on ports beyond the ${MAX_STRAY_DOORS} extra doors, not drawn)` : "";
    this.summary.dataset.total = String(this.total);
    this.summary.textContent =
      this.total === 0
        ? "No connection yet."
        : `${this.total} connection${this.total === 1 ? "" : "s"} and datagrams seen by this page${other}.`;
  }

  private tick(): void {
    const text = samplingText(this.sampler.rate(performance.now()));
    // The notice changes every second under a flood: a screen reader hears only when sampling starts and stops.
    if ((text !== "") !== !this.sampling.hidden) {
      this.announcer.textContent = text
        ? "The picture now draws a sample of the connections; the counts stay exact."
        : "The picture draws every connection again.";
    }
    this.sampling.hidden = text === "";
    if (this.sampling.textContent !== text) this.sampling.textContent = text;
    this.root.dataset.sampling = String(text !== "");
    this.drawSparklines();
    this.showKnocks();
  }

  private drawSparklines(): void {
    const g = this.geometry;
    const second = Math.floor(Date.now() / 1_000);
    for (const [key, state] of this.doors) {
      this.advance(state, second);
      const place = g.doors.get(key);
      if (!place || !state.spark || !state.node) continue;
      const peak = Math.max(...state.perSecond);
      const now = state.perSecond[SPARK_SECONDS - 1] ?? 0;
      state.node.setAttribute(
        "aria-label",
        `${doorWords(state.door)}: ${state.count} since this page opened, ${now} per second now`,
      );
      if (g.sparkWidth <= 0 || peak === 0) {
        state.spark.removeAttribute("points");
        continue;
      }
      const step = g.sparkWidth / (SPARK_SECONDS - 1);
      const base = place.y - 4;
      const points = state.perSecond
        .map((n, i) => `${(g.sparkX + i * step).toFixed(1)},${(base - (n / peak) * 12).toFixed(1)}`)
        .join(" ");
      setAttrs(state.spark, { points, "data-peak": peak });
      state.spark.replaceChildren(
        svg("title", {}, `connections per second over the last minute: peak ${peak}, now ${now}`),
      );
    }
  }

  private bindInput(): void {
    this.doorLayer.addEventListener("click", (event) => {
      const door = (event.target as Element).closest<SVGGElement>(".door");
      if (door?.dataset.door) this.selectDoor(door.dataset.door, true);
    });
    this.doorLayer.addEventListener("keydown", (event) => this.onKey(event));
    this.flightLayer.addEventListener("click", (event) => {
      const picked = this.flights.eventAt(event.target);
      if (picked) this.showEvent(picked, true);
    });
    this.flightLayer.addEventListener("pointerover", (event) => {
      const hovered = this.flights.eventAt(event.target);
      if (hovered) this.showEvent(hovered, false);
    });
    this.svgRoot.addEventListener("pointerleave", () => this.showSelection());
  }

  private onKey(event: KeyboardEvent): void {
    const current = (event.target as Element).closest<SVGGElement>(".door")?.dataset.door;
    if (!current) return;
    const index = this.order.indexOf(current);
    const moves: Record<string, number> = {
      ArrowDown: index + 1,
      ArrowRight: index + 1,
      ArrowUp: index - 1,
      ArrowLeft: index - 1,
      Home: 0,
      End: this.order.length - 1,
    };
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      this.selectDoor(current, true);
      return;
    }
    const to = moves[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const key = this.order[Math.max(0, Math.min(this.order.length - 1, to))];
    if (key) this.focusDoor(key);
  }

  private focusDoor(key: string): void {
    for (const state of this.doors.values()) state.node?.setAttribute("tabindex", "-1");
    const node = this.doors.get(key)?.node;
    node?.setAttribute("tabindex", "0");
    node?.focus();
  }

  private selectDoor(key: string, toggle: boolean): void {
    this.selected = toggle && this.selected === key && !this.pinned ? undefined : key;
    this.pinned = undefined;
    for (const [k, state] of this.doors) state.node?.setAttribute("aria-pressed", String(k === this.selected));
    setAttrs(this.svgRoot, { "data-door-selected": this.selected });
    this.flights.choose(this.selected);
    if (this.selected) this.focusDoor(this.selected);
    this.showSelection();
    const state = this.selected ? this.doors.get(this.selected) : undefined;
    this.announcer.textContent = state ? `${doorWords(state.door)}: ${state.count} connections` : "";
  }

  private showEvent(event: PictureEvent, pin: boolean): void {
    if (pin) {
      this.pinned = event;
      this.announcer.textContent = describeEvent(event);
    }
    this.detail.hidden = false;
    this.detail.dataset.show = "event";
    this.detail.replaceChildren(
      el(
        "h3",
        {},
        `${endpoint(event.remoteAddress, event.remotePort)} → ${event.localPort}/${event.transport} → ${event.service}`,
      ),
      eventFacts(event),
    );
  }

  private showSelection(): void {
    if (this.pinned) return this.showEvent(this.pinned, false);
    const state = this.selected ? this.doors.get(this.selected) : undefined;
    if (!state) {
      this.detail.hidden = true;
      return;
    }
    const door = state.door;
    this.detail.hidden = false;
    this.detail.dataset.show = "door";
    this.detail.dataset.door = door.key;
    this.detail.replaceChildren(
      el("h3", {}, `${doorLabel(door)}/${door.transport}: ${door.service}`),
      el(
        "p",
        {},
        `${doorWords(door)}. ${state.count} connection${state.count === 1 ? "" : "s"} since this page opened; the latest:`,
      ),
      state.recent.length === 0
        ? el("p", { class: "note" }, "None yet.")
        : el(
            "ol",
            { class: "dispatch-recent" },
            ...state.recent.map((event) =>
              el(
                "li",
                {},
                el("time", { datetime: event.time }, clock(event.time)),
                ` ${describeEvent(event)}, ${bytes(event.bytesIn)} in, ${bytes(event.bytesOut)} out`,
              ),
            ),
          ),
    );
  }
}
