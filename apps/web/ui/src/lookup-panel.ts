import type { Whois } from "./api-types.js";
import { errorText, getJson } from "./api.js";
import { byId, el } from "./dom.js";
import { whoisView } from "./whois-view.js";

/** Port lookup: the form in index.html, answered by /api/whois without leaving the page. */
export function lookupPanel(): void {
  const form = byId<HTMLFormElement>("lookup-form");
  const input = byId<HTMLInputElement>("lookup-query");
  const result = byId<HTMLDivElement>("lookup-result");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = input.value.trim();
    if (!query) return;
    result.replaceChildren(el("p", { class: "note" }, `Looking up ${query}…`));
    getJson<Whois>(`/api/whois/${encodeURIComponent(query)}`).then(
      (facts) =>
        result.replaceChildren(
          el("h3", {}, facts.kind === "port" ? `Port ${facts.port}` : `The name “${facts.name}”`),
          whoisView(facts),
        ),
      (error: unknown) => result.replaceChildren(el("p", { class: "error" }, errorText(error))),
    );
  });
}
