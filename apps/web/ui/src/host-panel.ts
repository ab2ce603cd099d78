import type { PortEntry, PortsReply, Whois } from "./api-types.js";
import { errorText, getJson } from "./api.js";
import { byId, el } from "./dom.js";
import { whoisView } from "./whois-view.js";

/** Status is probed by the server (cached 2 s); a slow poll keeps it fresh without flooding the traffic view. */
const STATUS_POLL_MS = 30_000; // 30 s

/** Shell commands that reach a service on this host, the way the README tour does. */
function commandsFor(service: PortEntry, host: string): string[] {
  const h = host.includes(":") ? `[${host}]` : host;
  const p = service.port;
  switch (service.name) {
    case "http":
      return [`curl -i http://${h}:${p}/api/whoami`];
    case "smtp":
      return [`swaks --server ${h}:${p} --to you@example.test`, `nc ${host} ${p}   # then type: EHLO me`];
    case "echo":
      return [`printf 'hello\\n' | nc -q1 ${host} ${p}`, `echo 'one datagram' | nc -u -w1 ${host} ${p}`];
    case "discard":
      return [`nc ${host} ${p}   # type; nothing comes back`, `echo 'into the void' | nc -u -w1 ${host} ${p}`];
    case "pop3":
      return [`curl -s pop3://${h}:${p}/1 -u you:anything`, `nc -C ${host} ${p}   # then type: USER you, PASS x, LIST`];
    default:
      return [`nc -vz ${host} ${p}   # not served yet: expect "Connection refused"`];
  }
}

function statusText(service: PortEntry): string {
  if (!service.implemented) return "not served yet";
  return service.status ?? "unknown";
}

/**
 * The host as a row of sockets, read live from /api/ports. Selecting one explains its number
 * (from /api/whois) and gives a command to try it.
 */
export class HostPanel {
  private services: readonly PortEntry[] = [];
  private selected: string | undefined;
  private readonly listeners = new Set<(services: readonly PortEntry[]) => void>();
  private readonly list = byId<HTMLUListElement>("sockets");
  private readonly detail = byId<HTMLDivElement>("socket-detail");
  private readonly source = byId<HTMLParagraphElement>("host-source");

  /** Called with the table each time it loads. */
  onServices(listener: (services: readonly PortEntry[]) => void): void {
    this.listeners.add(listener);
    if (this.services.length > 0) listener(this.services);
  }

  start(): void {
    void this.refresh();
    setInterval(() => void this.refresh(), STATUS_POLL_MS);
  }

  async refresh(): Promise<void> {
    try {
      const table = await getJson<PortsReply>("/api/ports");
      this.services = table.services;
      this.render(table);
      for (const listener of this.listeners) listener(this.services);
    } catch (error) {
      this.source.replaceChildren(`Could not read /api/ports (${errorText(error)}); showing the default ports.`);
    }
  }

  private render(table: PortsReply): void {
    this.list.dataset.state = "live";
    this.list.replaceChildren(
      ...table.services.map((s) => {
        const button = el(
          "button",
          {
            type: "button",
            class: "socket",
            "data-service": s.name,
            "data-status": s.implemented ? (s.status ?? "unknown") : "not-served",
            "aria-pressed": String(this.selected === s.name),
            "aria-controls": "socket-detail",
            onclick: () => void this.select(s.name),
          },
          el("span", { class: "socket-port" }, s.port),
          " ",
          el("span", { class: "socket-name" }, s.name),
          el(
            "span",
            { class: "socket-meta" },
            `${s.transports.join(" + ")} · ${s.rangeClass} range · well-known ${s.wellKnownPort}`,
          ),
          el("span", { class: "socket-status" }, el("span", { class: "dot", "aria-hidden": "true" }), statusText(s)),
        );
        return el("li", {}, button);
      }),
    );
    this.source.replaceChildren(
      `Live from `,
      el("a", { href: "/api/ports" }, "/api/ports"),
      ` at ${new Date().toTimeString().slice(0, 8)}: bound on ${table.host}, port offset ${table.portOffset} (local port = well-known port + ${table.portOffset}).`,
    );
  }

  private async select(name: string): Promise<void> {
    const service = this.services.find((s) => s.name === name);
    if (!service) return;
    this.selected = this.selected === name ? undefined : name;
    for (const button of this.list.querySelectorAll<HTMLButtonElement>("button.socket")) {
      button.setAttribute("aria-pressed", String(button.dataset.service === this.selected));
    }
    if (this.selected === undefined) {
      this.detail.hidden = true;
      return;
    }
    const host = location.hostname || "localhost";
    const facts = el("div", {}, el("p", { class: "note" }, "Looking the number up…"));
    this.detail.hidden = false;
    this.detail.replaceChildren(
      el("h3", {}, `${service.port}: ${service.name}`),
      el("p", {}, `${service.description} (${service.rfc}).`),
      el(
        "p",
        {},
        `It listens on ${service.transports.map((t) => t.toUpperCase()).join(" and ")} port ${service.port}`,
        service.portSource ? ` (${service.portSource})` : "",
        `; its well-known number is ${service.wellKnownPort}. The other porthost services reach it at ${service.addr}.`,
      ),
      el("h4", {}, `What ${service.wellKnownPort} means`),
      facts,
      el("h4", {}, "Try it"),
      el("pre", {}, el("code", {}, commandsFor(service, host).join("\n"))),
    );
    try {
      const whois = await getJson<Whois>(`/api/whois/${service.wellKnownPort}`);
      facts.replaceChildren(whoisView(whois));
    } catch (error) {
      facts.replaceChildren(el("p", { class: "error" }, errorText(error)));
    }
  }
}
