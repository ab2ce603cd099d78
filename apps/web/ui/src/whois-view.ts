import type { Whois } from "./api-types.js";
import { el } from "./dom.js";

const RANGE_MEANING: Record<string, string> = {
  system: "Binding it needs root (or CAP_NET_BIND_SERVICE): the numbers of the classic services.",
  user: "Registered with IANA for specific services, but any program may bind one.",
  dynamic: "Never assigned: left for the ephemeral ports clients' systems pick.",
};

/** What /api/whois said about a port or a name, as a definition list of plain sentences. */
export function whoisView(facts: Whois): HTMLElement {
  const list = el("dl", { class: "facts" });
  const row = (term: string, ...definitions: (string | Node)[]) =>
    list.append(el("dt", {}, term), ...definitions.map((d) => el("dd", {}, d)));

  if (facts.kind === "port") {
    row("range", `${facts.rangeLabel}. ${RANGE_MEANING[facts.rangeClass] ?? ""}`);
    row(
      "IANA name",
      ...(facts.wellKnown.length > 0
        ? facts.wellKnown.map((a) => `${a.name} (${a.transports.join(" + ")}): ${a.description}`)
        : ["none that porthost knows of"]),
    );
    if (facts.servicesDatabase.length > 0) {
      row(
        "services database",
        facts.servicesDatabase
          .map((e) => `${e.name}/${e.transport}${e.aliases.length ? ` (also ${e.aliases.join(", ")})` : ""}`)
          .join(", "),
      );
    }
    row(
      "porthost",
      ...(facts.porthost.length > 0
        ? facts.porthost.map(
            (p) =>
              `${p.as === "listens" ? `${p.service} listens on this number here` : `the well-known number of porthost's ${p.service}`} (${p.transports.join(" + ")})${p.implemented ? "" : ", not served yet"}`,
          )
        : ["not used by porthost"]),
    );
    if (facts.ephemeral) {
      const { low, high } = facts.ephemeral.range;
      row(
        "ephemeral",
        facts.ephemeral.contains
          ? `inside this machine's ephemeral range ${low}-${high}: its system may pick it as a client's source port`
          : `outside this machine's ephemeral range ${low}-${high}`,
      );
    }
    return list;
  }

  row(
    "porthost",
    facts.porthost
      ? `${facts.porthost.name} listens on ${facts.porthost.port} here (well-known ${facts.porthost.wellKnownPort}, ${facts.porthost.transports.join(" + ")}): ${facts.porthost.description}`
      : "not a porthost service",
  );
  if (facts.wellKnown.length > 0) {
    row("well-known", ...facts.wellKnown.map((a) => `port ${a.port} (${a.transports.join(" + ")}): ${a.description}`));
  }
  if (facts.servicesDatabase.length > 0) {
    row("services database", facts.servicesDatabase.map((e) => `${e.port}/${e.transport}`).join(", "));
  }
  return list;
}
