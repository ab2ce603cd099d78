import type { ParsedMessage } from "./api-types.js";
import { errorText, getText } from "./api.js";
import { el } from "./dom.js";
import { bytes, dateTime, endpoint } from "./format.js";
import { sessionLink } from "./session-view.js";

type Tab = "html" | "text" | "headers" | "raw";

const TAB_LABELS: Record<Tab, string> = { html: "HTML", text: "Text", headers: "Headers", raw: "Raw source" };

function messageUrl(id: string, suffix = ""): string {
  return `/api/messages/${encodeURIComponent(id)}${suffix}`;
}

/**
 * One message: its summary, the SMTP envelope with the ports that carried it, and tabs for the
 * HTML part (in a sandboxed frame, never in this page), the text, the headers and the raw source.
 */
export function messageView(message: ParsedMessage, onDelete: () => void): HTMLElement {
  const { summary } = message;
  const tabs: Tab[] = [...(message.html !== null ? (["html"] as const) : []), "text", "headers", "raw"];
  const panel = el("div", { class: "message-body", role: "tabpanel", id: "message-tabpanel", tabindex: "0" });
  const tabButtons = tabs.map((tab) =>
    el(
      "button",
      {
        type: "button",
        role: "tab",
        id: `message-tab-${tab}`,
        "aria-controls": "message-tabpanel",
        "data-tab": tab,
        onclick: () => select(tab),
      },
      TAB_LABELS[tab],
    ),
  );
  const tablist = el("div", { role: "tablist", class: "tabs", "aria-label": "Message parts" }, ...tabButtons);
  // Arrow keys move between tabs, as the ARIA tabs pattern expects.
  tablist.addEventListener("keydown", (event) => {
    const at = tabButtons.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0 || (event.key !== "ArrowRight" && event.key !== "ArrowLeft")) return;
    const next = tabButtons[(at + (event.key === "ArrowRight" ? 1 : tabButtons.length - 1)) % tabButtons.length];
    next?.focus();
    next?.click();
  });

  function select(tab: Tab): void {
    for (const button of tabButtons) {
      const on = button.dataset.tab === tab;
      button.setAttribute("aria-selected", String(on));
      button.tabIndex = on ? 0 : -1;
    }
    panel.setAttribute("aria-labelledby", `message-tab-${tab}`);
    panel.replaceChildren(tabContent(message, tab));
  }
  select(tabs[0]!);

  const envelope = summary.envelope;
  return el(
    "article",
    { class: "message", "data-id": summary.id, "aria-labelledby": "message-subject" },
    el("h3", { id: "message-subject" }, summary.subject || "(no subject)"),
    el(
      "dl",
      { class: "facts" },
      el("dt", {}, "From"),
      el("dd", {}, summary.from),
      el("dt", {}, "To"),
      el("dd", {}, summary.to.join(", ")),
      summary.cc.length > 0 ? el("dt", {}, "Cc") : null,
      summary.cc.length > 0 ? el("dd", {}, summary.cc.join(", ")) : null,
      el("dt", {}, "Received"),
      el("dd", {}, `${dateTime(summary.receivedAt)}, ${bytes(summary.size)}`),
    ),
    envelope
      ? el(
          "div",
          { class: "envelope" },
          el("h4", {}, "SMTP envelope"),
          el(
            "p",
            { class: "envelope-route" },
            "carried from ",
            el("strong", { class: "envelope-client" }, endpoint(envelope.client.address, envelope.client.port)),
            envelope.client.helo ? ` (HELO ${envelope.client.helo})` : "",
            " to ",
            el("strong", { class: "envelope-server" }, endpoint(envelope.server.address, envelope.server.port)),
            ` (smtp), ${envelope.tls ? "over TLS" : "in plain text"}${envelope.authUser ? `, AUTH as ${envelope.authUser}` : ""}`,
            summary.sessionId ? " · the session's " : "",
            summary.sessionId ? sessionLink(summary.sessionId) : null,
          ),
          el(
            "p",
            {},
            el("code", {}, `MAIL FROM:<${envelope.mailFrom ?? ""}>`),
            " ",
            ...envelope.rcptTo.map((r) => el("code", {}, `RCPT TO:<${r}>`)),
          ),
        )
      : el("p", { class: "note" }, "No SMTP envelope: this message did not come in through porthost's SMTP port."),
    message.attachments.length > 0
      ? el(
          "div",
          { class: "attachments" },
          el("h4", {}, "Attachments"),
          el(
            "ul",
            {},
            ...message.attachments.map((a) =>
              el(
                "li",
                {},
                el(
                  "a",
                  { href: messageUrl(summary.id, `/attachments/${a.index}`), download: a.filename ?? "" },
                  a.filename ?? `attachment ${a.index}`,
                ),
                ` ${a.contentType}, ${bytes(a.size)}`,
              ),
            ),
          ),
        )
      : null,
    message.codes.length > 0 || message.links.length > 0 ? lookedFor(message) : null,
    tablist,
    panel,
    el(
      "p",
      { class: "toolbar" },
      el("a", { href: messageUrl(summary.id, "/raw"), target: "_blank", rel: "noopener" }, "Open the raw source"),
      el("a", { href: messageUrl(summary.id, "/raw?download=1"), download: `${summary.id}.eml` }, "Download .eml"),
      el("button", { type: "button", class: "danger", onclick: onDelete }, "Delete this message"),
    ),
  );
}

/** What a test looks for in a message: its one-time codes and its links (the API's codes and links). */
function lookedFor(message: ParsedMessage): HTMLElement {
  return el(
    "div",
    { class: "looked-for" },
    message.codes.length > 0 ? el("h4", {}, "Codes") : null,
    message.codes.length > 0
      ? el("p", { class: "message-codes" }, ...message.codes.map((code) => el("code", { class: "message-code" }, code)))
      : null,
    message.links.length > 0 ? el("h4", {}, "Links") : null,
    message.links.length > 0
      ? el(
          "ul",
          { class: "message-links" },
          // The sender's links: opened apart from this page, telling the site nothing of it.
          ...message.links.map((link) =>
            el("li", {}, el("a", { href: link, target: "_blank", rel: "noopener noreferrer nofollow" }, link)),
          ),
        )
      : null,
  );
}

function tabContent(message: ParsedMessage, tab: Tab): Node {
  const id = message.summary.id;
  switch (tab) {
    case "html":
      // sandbox="" gives the frame an opaque origin with no scripts, forms, popups or top navigation;
      // the server adds a CSP that blocks every remote load.
      return el("iframe", {
        class: "mail-html",
        sandbox: true,
        src: messageUrl(id, "/html"),
        title: "The message's HTML part, in a sandbox",
        referrerpolicy: "no-referrer",
      });
    case "text":
      return el("pre", { class: "mail-text" }, message.text ?? "(this message has no text part)");
    case "headers":
      return el(
        "dl",
        { class: "mail-headers" },
        ...message.headers.flatMap((h) => [el("dt", {}, h.name), el("dd", {}, h.value)]),
      );
    case "raw": {
      const pre = el("pre", { class: "mail-raw" }, "Loading the raw source…");
      getText(messageUrl(id, "/raw")).then(
        (text) => (pre.textContent = text),
        (error: unknown) => (pre.textContent = `Could not load the raw source: ${errorText(error)}`),
      );
      return pre;
    }
  }
}
