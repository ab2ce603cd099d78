import type { NumberedEvent, PortEntry } from "./api-types.js";
import { el } from "./dom.js";
import type { EventStream, StreamStatus } from "./event-stream.js";
import { outcomeWord } from "@porthost/events/outcome";
import { bytes, clock, endpoint, ms } from "./format.js";
import { sessionLink } from "./session-view.js";

/** Rows kept on screen; the full history stays on the server (/api/events). */
const MAX_ROWS = 300;

interface Counter {
  readonly service: string;
  count: number;
  bytes: number;
}

/**
 * Live traffic: one row per connection or datagram, counters per port, a service filter, and a
 * pause that holds the newest screenful of arrivals and counts the rest.
 */
export class TrafficPanel {
  private readonly shown: NumberedEvent[] = [];
  /** Arrived while paused: the newest screenful only, as that is all Resume can show. */
  private readonly queued: NumberedEvent[] = [];
  /** How many arrived while paused, counted whether or not they are still queued. */
  private held = 0;
  /** Arrived since the last frame, not shown yet. */
  private readonly arriving: NumberedEvent[] = [];
  private frameRequested = false;
  private readonly counters = new Map<string, Counter>();
  private paused = false;
  private filter = "";
  private showProbes = true;
  private streamStatus: StreamStatus | undefined;
  private readonly status = el("p", { class: "stream-status", role: "status", "data-state": "connecting" });
  private readonly notice = el("p", { class: "stream-notice", hidden: true });
  private readonly select = el("select", { id: "traffic-filter" }, el("option", { value: "" }, "all services"));
  private readonly pauseButton = el("button", { type: "button", "aria-pressed": "false" }, "Pause");
  private readonly probesToggle = el("input", { type: "checkbox", id: "traffic-probes", checked: true });
  private readonly counterList = el("ul", { class: "counters", "aria-label": "Connections per port" });
  private readonly rows = el("ol", { class: "flows", id: "flows", "aria-label": "Connections, newest first" });
  private readonly empty = el("p", { class: "note" }, "Waiting for the first connection…");

  constructor(
    private readonly root: HTMLElement,
    stream: EventStream,
  ) {
    this.select.addEventListener("change", () => {
      this.filter = this.select.value;
      this.renderRows();
    });
    this.pauseButton.addEventListener("click", () => this.togglePause());
    this.probesToggle.addEventListener("change", () => {
      this.showProbes = this.probesToggle.checked;
      this.renderRows();
    });
    const clear = el("button", { type: "button", onclick: () => this.clear() }, "Clear");
    this.root.replaceChildren(
      this.status,
      this.notice,
      el(
        "div",
        { class: "toolbar" },
        el("label", { for: "traffic-filter" }, "Service"),
        this.select,
        el(
          "label",
          { class: "toggle", title: "connections that sent nothing: this page's status probes, port scans" },
          this.probesToggle,
          "port checks",
        ),
        this.pauseButton,
        clear,
      ),
      this.counterList,
      this.empty,
      this.rows,
    );
    stream.onStatus((status) => this.showStatus(status));
    stream.onEvent((event) => this.add(event));
    stream.onDropped((n) =>
      this.showNotice(`The server skipped ${n} event${n === 1 ? "" : "s"} because this page fell behind.`),
    );
  }

  /** The filter offers every service of the host, plus any other that has sent events. */
  setServices(services: readonly PortEntry[]): void {
    for (const s of services) this.addFilterOption(s.name);
  }

  private addFilterOption(name: string): void {
    if ([...this.select.options].some((o) => o.value === name)) return;
    this.select.append(el("option", { value: name }, name));
  }

  private add(event: NumberedEvent): void {
    this.addFilterOption(event.service);
    const key = `${event.localPort}/${event.transport}`;
    const counter = this.counters.get(key) ?? { service: event.service, count: 0, bytes: 0 };
    counter.count += 1;
    counter.bytes += event.bytesIn + event.bytesOut;
    this.counters.set(key, counter);
    this.requestFrame();
    if (this.paused) {
      this.held += 1;
      this.queued.push(event);
      // A tab left paused for hours must not hold every event in memory.
      if (this.queued.length > 2 * MAX_ROWS) this.queued.splice(0, this.queued.length - MAX_ROWS);
      this.pauseButton.textContent = `Resume (${this.held} new)`;
      this.renderStatus();
      return;
    }
    this.arriving.push(event);
    // Only the newest screenful can stay on screen (a tab in the background gets no frames).
    if (this.arriving.length > 2 * MAX_ROWS) this.arriving.splice(0, this.arriving.length - MAX_ROWS);
  }

  /** A flood of events (1,000 a second) is drawn once a frame, not once an event, so the page stays responsive. */
  private requestFrame(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.renderCounters();
      for (const event of this.arriving.splice(0)) this.show(event);
    });
  }

  private show(event: NumberedEvent): void {
    this.shown.unshift(event);
    if (this.shown.length > MAX_ROWS) this.shown.length = MAX_ROWS;
    if (!this.visible(event)) return;
    this.empty.hidden = true;
    this.rows.prepend(row(event));
    while (this.rows.children.length > MAX_ROWS) this.rows.lastElementChild?.remove();
  }

  private togglePause(): void {
    this.paused = !this.paused;
    this.pauseButton.setAttribute("aria-pressed", String(this.paused));
    this.pauseButton.textContent = this.paused ? "Resume" : "Pause";
    this.root.classList.toggle("paused", this.paused);
    if (!this.paused) {
      for (const event of this.queued.splice(0)) this.show(event);
      this.held = 0;
    }
    this.renderStatus();
  }

  private visible(event: NumberedEvent): boolean {
    return (!this.filter || event.service === this.filter) && (this.showProbes || event.probe !== true);
  }

  private clear(): void {
    this.shown.length = 0;
    this.queued.length = 0;
    this.held = 0;
    this.arriving.length = 0;
    this.counters.clear();
    if (this.paused) this.pauseButton.textContent = "Resume";
    this.renderCounters();
    this.renderRows();
  }

  private renderRows(): void {
    const visible = this.shown.filter((e) => this.visible(e));
    this.rows.replaceChildren(...visible.map(row));
    this.empty.hidden = visible.length > 0;
    this.empty.textContent = this.filter ? `No ${this.filter} connections yet.` : "Waiting for the first connection…";
  }

  private renderCounters(): void {
    const entries = [...this.counters.entries()].sort(([a], [b]) => parseInt(a, 10) - parseInt(b, 10));
    this.counterList.replaceChildren(
      ...entries.map(([key, c]) =>
        el(
          "li",
          { "data-port": key, "data-service": c.service },
          el("span", { class: "counter-port" }, key),
          ` ${c.service} `,
          el("strong", { class: "counter-count" }, c.count),
          ` · ${bytes(c.bytes)}`,
        ),
      ),
    );
  }

  private showStatus(status: StreamStatus): void {
    this.streamStatus = status;
    this.renderStatus();
  }

  /** The banner says what the list is doing: paused (and holding how many), else the stream's state. */
  private renderStatus(): void {
    const status = this.streamStatus;
    if (status === undefined) return;
    if (this.paused) {
      const held = this.held;
      this.status.dataset.state = "paused";
      this.status.textContent =
        `Paused: new connections are held, not shown (${held} so far); press Resume to see the newest ${Math.min(held, MAX_ROWS)} (the counters count them all).` +
        (status.state === "live" ? "" : " The event stream is reconnecting.");
      return;
    }
    this.status.dataset.state = status.state;
    const at = clock(status.since);
    if (status.state === "connecting") this.status.textContent = "Connecting to the event stream…";
    else if (status.state === "live") {
      this.status.textContent =
        status.drops > 0
          ? `Live again since ${at}: reconnected and resumed after event #${status.lastId}, so nothing was missed.`
          : "Live: connections appear as they happen.";
    } else {
      this.status.textContent = `The event stream dropped at ${at}; reconnecting… (last event seen: #${status.lastId})`;
    }
  }

  private showNotice(text: string): void {
    this.notice.hidden = false;
    this.notice.textContent = text;
  }
}

function row(event: NumberedEvent): HTMLLIElement {
  return el(
    "li",
    {
      class: "flow",
      "data-service": event.service,
      "data-outcome": event.outcome,
      "data-id": event.id,
      "data-probe": event.probe === true ? "" : undefined,
    },
    el("time", { datetime: event.time }, clock(event.time)),
    el(
      "span",
      { class: "flow-route" },
      el(
        "span",
        { class: "flow-client", title: "the client's address and ephemeral port" },
        endpoint(event.remoteAddress, event.remotePort),
      ),
      " → ",
      el(
        "span",
        { class: "flow-port", title: "the port that chose the service" },
        `${event.localPort}/${event.transport}`,
      ),
      " → ",
      el("span", { class: "flow-service" }, event.service),
    ),
    el(
      "span",
      { class: "flow-bytes" },
      `${bytes(event.bytesIn)} in, ${bytes(event.bytesOut)} out, ${ms(event.durationMs)}`,
    ),
    el("span", { class: "flow-outcome" }, outcomeWord(event)),
    event.tls ? tlsBadge(event.tls) : null,
    event.detail ? el("span", { class: "flow-detail" }, event.detail) : null,
    event.session ? sessionLink(event.session) : null,
  );
}

/** A lock with the TLS a connection ran under: version, cipher, and how it began. */
function tlsBadge(tls: NonNullable<NumberedEvent["tls"]>): HTMLSpanElement {
  const how = tls.mode === "implicit" ? "TLS from the first byte" : "upgraded by STARTTLS/STLS";
  return el(
    "span",
    { class: "flow-tls", "data-mode": tls.mode, title: `encrypted: ${tls.version}, ${tls.cipher}, ${how}` },
    `🔒 ${tls.version} ${tls.cipher}${tls.mode === "starttls" ? " (STARTTLS)" : ""}`,
  );
}
