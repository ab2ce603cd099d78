import "../session-view.css";
import { getJson } from "./api.js";
import type { SessionRecord } from "./api-types.js";
import { el } from "./dom.js";
import { endpoint } from "./format.js";

const MARK = { client: "C:", server: "S:", note: "*" } as const;

/** The one dialog transcripts open in, made when the first is opened. */
let dialog: HTMLDialogElement | undefined;

function theDialog(): HTMLDialogElement {
  if (dialog) return dialog;
  dialog = el("dialog", { class: "session-dialog", "aria-labelledby": "session-title" });
  // A click on the backdrop (outside the dialog's box) closes it, as Escape does.
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close();
  });
  document.body.append(dialog);
  return dialog;
}

function facts(record: SessionRecord): HTMLDListElement {
  const rows: [string, Node | string][] = [
    [
      "client",
      `${endpoint(record.client.address, record.client.port)} → port ${record.server.port} (${record.service})`,
    ],
    ["started", `${record.startedAt.replace("T", " ").replace("Z", " UTC")}, ${record.durationMs} ms`],
    ["outcome", el("span", { class: "session-outcome" }, record.outcome + (record.detail ? `: ${record.detail}` : ""))],
  ];
  if (record.helo !== null) rows.push(["HELO", record.helo]);
  if (record.tls) rows.push(["TLS", `${record.tls.version} ${record.tls.cipher} (${record.tls.mode})`]);
  if (record.user !== null) rows.push(["user", record.user]);
  for (const id of record.messages) {
    rows.push(["stored", el("a", { href: `/api/messages/${encodeURIComponent(id)}`, target: "_blank" }, id)]);
  }
  return el(
    "dl",
    { class: "session-facts" },
    ...rows.flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]),
  );
}

function transcript(record: SessionRecord): HTMLOListElement {
  return el(
    "ol",
    { class: "session-lines", "aria-label": "Transcript: each command and reply with its time" },
    ...record.transcript.map((line) =>
      el(
        "li",
        { "data-from": line.from },
        el("span", { class: "at" }, `${line.at.toFixed(1)} ms`),
        el("span", { class: "mark" }, MARK[line.from]),
        el("span", { class: "text" }, line.text),
      ),
    ),
  );
}

/** Opens a session's transcript (GET /api/sessions/<id>) in the dialog; a record gone since says so. */
export async function showSession(id: string): Promise<void> {
  const box = theDialog();
  const close = el("button", { type: "button", onclick: () => box.close() }, "Close");
  const title = el("h2", { id: "session-title" }, `Session ${id}`);
  const body = el("div", { class: "session-body" }, el("p", { class: "note" }, "Loading the transcript…"));
  box.removeAttribute("data-outcome");
  box.replaceChildren(el("div", { class: "session-head" }, title, close), body);
  if (!box.open) box.showModal();
  try {
    const record = await getJson<SessionRecord>(`/api/sessions/${encodeURIComponent(id)}`);
    box.dataset.outcome = record.outcome;
    title.textContent = `${record.service} session ${record.id}`;
    body.replaceChildren(facts(record), transcript(record));
  } catch (error) {
    body.replaceChildren(el("p", { class: "note" }, error instanceof Error ? error.message : String(error)));
  }
}

/** A traffic row's link to its session's transcript; the href is the record's JSON for a new tab. */
export function sessionLink(id: string): HTMLAnchorElement {
  return el(
    "a",
    {
      class: "flow-session",
      href: `/api/sessions/${encodeURIComponent(id)}`,
      title: "every command and reply of this session",
      onclick: (event: Event) => {
        const click = event as MouseEvent;
        if (click.ctrlKey || click.metaKey || click.shiftKey || click.button !== 0) return;
        event.preventDefault();
        void showSession(id);
      },
    },
    "transcript",
  );
}
