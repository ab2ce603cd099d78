import type { ParsedMessage, MessagePage, MessageSummary } from "./api-types.js";
import { del, errorText, getJson } from "./api.js";
import { el } from "./dom.js";
import type { EventStream } from "./event-stream.js";
import { bytes, clock } from "./format.js";
import { messageView } from "./message-view.js";

/** SMTP events come one per connection; a burst of them needs one reload, not one each. */
const REFRESH_DELAY_MS = 250;
const SEARCH_DELAY_MS = 300;
/** How long "Delete all" waits for its confirming second press. */
const CONFIRM_MS = 5_000; // 5 s
const PAGE_SIZE = 50;

/**
 * The inbox: the stored mail, newest first, reloaded when an SMTP connection is reported; a
 * search of the headers, envelope and bodies (Mailpit's syntax); one message open at a time; delete one or all.
 */
export class InboxPanel {
  private messages: MessageSummary[] = [];
  private total = 0;
  private nextCursor: string | null = null;
  private openId: string | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private confirmTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly search = el("input", {
    id: "inbox-search",
    type: "search",
    placeholder: "words, to:, from:, subject:, is:unread…",
    maxlength: "200",
  });
  private readonly count = el("p", { class: "inbox-count", role: "status" }, "Loading the inbox…");
  private readonly list = el("ol", { class: "message-list", id: "message-list", "aria-label": "Messages" });
  private readonly more = el("button", { type: "button", hidden: true }, "Load more");
  private readonly deleteAll = el("button", { type: "button", class: "danger" }, "Delete all");
  private readonly viewer = el(
    "div",
    { class: "message-viewer", id: "message-viewer", "aria-live": "polite" },
    el("p", { class: "note" }, "Select a message to read it."),
  );

  constructor(root: HTMLElement, stream: EventStream) {
    let searchTimer: ReturnType<typeof setTimeout> | undefined;
    this.search.addEventListener("input", () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => void this.refresh(), SEARCH_DELAY_MS);
    });
    this.more.addEventListener("click", () => void this.loadMore());
    this.deleteAll.addEventListener("click", () => void this.onDeleteAll());
    root.replaceChildren(
      el(
        "form",
        { class: "toolbar", role: "search", onsubmit: (e: Event) => (e.preventDefault(), void this.refresh()) },
        el("label", { for: "inbox-search" }, "Search"),
        this.search,
        el("button", { type: "submit" }, "Refresh"),
        this.deleteAll,
      ),
      this.count,
      el("div", { class: "inbox-grid" }, el("div", {}, this.list, this.more), this.viewer),
    );
    stream.onEvent((event) => {
      if (event.service === "smtp") this.scheduleRefresh();
    });
    // Arrivals and deletions by any process (POP3 DELE + QUIT, porthost mail delete, pruning, another tab).
    stream.onMail(() => this.scheduleRefresh());
    // Mail may have arrived while the stream was down.
    stream.onStatus((status, previous) => {
      if (status.state === "live" && previous.state === "reconnecting") this.scheduleRefresh();
    });
  }

  scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), REFRESH_DELAY_MS);
  }

  async refresh(): Promise<void> {
    try {
      const page = await this.fetchPage(undefined);
      this.messages = [...page.messages];
      this.total = page.total;
      this.nextCursor = page.nextCursor;
      this.render();
    } catch (error) {
      this.count.textContent = `Could not read the inbox: ${errorText(error)}`;
    }
  }

  /** Opens one message by id (the Try it panel links a sent mail here). */
  async open(id: string): Promise<void> {
    this.openId = id;
    this.markOpen();
    try {
      const message = await getJson<ParsedMessage>(`/api/messages/${encodeURIComponent(id)}`);
      if (this.openId !== id) return;
      this.viewer.replaceChildren(messageView(message, () => void this.deleteOne(id)));
    } catch (error) {
      this.viewer.replaceChildren(el("p", { class: "error" }, `Could not open the message: ${errorText(error)}`));
    }
    this.bringViewerIntoView();
  }

  /** On a narrow screen the message renders below the list: scroll to it unless its top is already in sight. */
  private bringViewerIntoView(): void {
    const top = this.viewer.getBoundingClientRect().top;
    if (top >= 0 && top < window.innerHeight * 0.5) return;
    this.viewer.scrollIntoView({ block: "start", behavior: "smooth" });
  }

  private fetchPage(cursor: string | undefined): Promise<MessagePage> {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    const q = this.search.value.trim();
    if (q) params.set("q", q);
    if (cursor) params.set("cursor", cursor);
    return getJson<MessagePage>(`/api/messages?${params}`);
  }

  private async loadMore(): Promise<void> {
    if (!this.nextCursor) return;
    try {
      const page = await this.fetchPage(this.nextCursor);
      this.messages.push(...page.messages);
      this.nextCursor = page.nextCursor;
      this.render();
    } catch (error) {
      this.count.textContent = `Could not read more: ${errorText(error)}`;
    }
  }

  private render(): void {
    const q = this.search.value.trim();
    this.count.textContent =
      this.total === 0
        ? q
          ? `No message matches “${q}”.`
          : "No mail yet. Send one from Try it below, or to the SMTP port from any mail program."
        : `${this.total} message${this.total === 1 ? "" : "s"}${q ? ` matching “${q}”` : ""}.`;
    this.list.replaceChildren(...this.messages.map((m) => this.item(m)));
    this.more.hidden = this.nextCursor === null;
    this.deleteAll.disabled = this.total === 0 || q !== "";
    this.markOpen();
  }

  private item(m: MessageSummary): HTMLLIElement {
    return el(
      "li",
      {},
      el(
        "button",
        { type: "button", class: "message-item", "data-id": m.id, onclick: () => void this.open(m.id) },
        el("span", { class: "message-subject" }, m.subject || "(no subject)"),
        el("span", { class: "message-from" }, `${m.from} → ${m.to.join(", ")}`),
        el(
          "span",
          { class: "message-meta" },
          `${clock(m.receivedAt)} · ${bytes(m.size)}`,
          m.envelope ? ` · from port ${m.envelope.client.port} to ${m.envelope.server.port}` : "",
        ),
      ),
    );
  }

  private markOpen(): void {
    for (const button of this.list.querySelectorAll<HTMLButtonElement>(".message-item")) {
      if (button.dataset.id === this.openId) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    }
  }

  private async deleteOne(id: string): Promise<void> {
    try {
      await del(`/api/messages/${encodeURIComponent(id)}`);
      this.openId = undefined;
      this.viewer.replaceChildren(el("p", { class: "note" }, "Deleted."));
      await this.refresh();
    } catch (error) {
      this.viewer.prepend(el("p", { class: "error" }, `Could not delete: ${errorText(error)}`));
    }
  }

  /** Two presses, so one stray click or Enter does not empty the Maildir. */
  private async onDeleteAll(): Promise<void> {
    if (this.confirmTimer === undefined) {
      this.deleteAll.textContent = `Really delete all ${this.total}?`;
      this.confirmTimer = setTimeout(() => this.resetDeleteAll(), CONFIRM_MS);
      return;
    }
    this.resetDeleteAll();
    try {
      await del("/api/messages");
      this.openId = undefined;
      this.viewer.replaceChildren(el("p", { class: "note" }, "Every message was deleted."));
      await this.refresh();
    } catch (error) {
      this.count.textContent = `Could not delete: ${errorText(error)}`;
    }
  }

  private resetDeleteAll(): void {
    clearTimeout(this.confirmTimer);
    this.confirmTimer = undefined;
    this.deleteAll.textContent = "Delete all";
  }
}
