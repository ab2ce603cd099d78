import type { EchoRequest, EchoResult, SendRequest, SendResult, Whoami } from "./api-types.js";
import { errorText, getJson, postJson } from "./api.js";
import { el } from "./dom.js";
import { endpoint, ms } from "./format.js";

/** A small form whose submit runs one request and writes its outcome below it. */
function card(
  id: string,
  title: string,
  explain: string,
  fields: Node[],
  submitLabel: string,
  run: () => Promise<Node[]>,
): { card: HTMLElement; submit: () => Promise<void> } {
  const result = el("div", { class: "result", id: `${id}-result`, role: "status" });
  const button = el("button", { type: "submit" }, submitLabel);
  const submit = async () => {
    button.disabled = true;
    result.dataset.state = "busy";
    result.replaceChildren(el("p", { class: "note" }, "Working…"));
    try {
      result.replaceChildren(...(await run()));
      result.dataset.state = "done";
    } catch (error) {
      result.replaceChildren(el("p", { class: "error" }, errorText(error)));
      result.dataset.state = "error";
    } finally {
      button.disabled = false;
    }
  };
  const form = el(
    "form",
    { class: "card", id, "aria-labelledby": `${id}-title` },
    el("h3", { id: `${id}-title` }, title),
    el("p", { class: "note" }, explain),
    ...fields,
    el("p", {}, button),
    result,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void submit();
  });
  return { card: form, submit };
}

function field(id: string, label: string, input: HTMLElement): HTMLElement {
  input.id = id;
  return el("p", { class: "field" }, el("label", { for: id }, label), input);
}

/**
 * Try it: the web service sends a mail to the SMTP port and does an echo round trip, each
 * reporting the ephemeral port its side used; and /api/whoami shows the browser's own.
 */
export function tryPanel(root: HTMLElement, openMessage: (id: string) => void): void {
  const to = el("input", { type: "email", required: true, value: "you@example.test", maxlength: "254" });
  const subject = el("input", { value: "Hello from the switchboard", maxlength: "998" });
  const text = el("textarea", { rows: "3", maxlength: "100000" }, "Sent through porthost's SMTP port.");
  const send = card(
    "try-send",
    "Send a test mail",
    "POST /api/send: the web service connects to the SMTP port with nodemailer.",
    [field("send-to", "To", to), field("send-subject", "Subject", subject), field("send-text", "Text", text)],
    "Send",
    async () => {
      const body: SendRequest = { to: to.value, subject: subject.value, text: text.value };
      const r = await postJson<SendResult>("/api/send", body);
      const id = r.id;
      const nodes: Node[] = [
        el("p", {}, "The server said ", el("code", {}, r.response)),
        el(
          "p",
          {},
          "The web service connected from its ephemeral port ",
          el("strong", { class: "ephemeral" }, r.localPort),
          ` to smtp at ${r.server}.`,
        ),
      ];
      if (id) nodes.push(el("button", { type: "button", onclick: () => openMessage(id) }, "Open it in the inbox"));
      return nodes;
    },
  );

  const echoText = el("input", { required: true, value: "hello, echo", maxlength: "1000" });
  const tcp = el("input", { type: "radio", name: "echo-transport", value: "tcp", id: "echo-tcp", checked: true });
  const udp = el("input", { type: "radio", name: "echo-transport", value: "udp", id: "echo-udp" });
  const echo = card(
    "try-echo",
    "Echo round trip",
    "POST /api/echo: the same text to the echo port over TCP (a connection) or UDP (one datagram each way).",
    [
      field("echo-text", "Text", echoText),
      el(
        "fieldset",
        { class: "transport" },
        el("legend", {}, "Transport"),
        tcp,
        el("label", { for: "echo-tcp" }, "TCP"),
        udp,
        el("label", { for: "echo-udp" }, "UDP"),
      ),
    ],
    "Send and wait for the echo",
    async () => {
      const transport = udp.checked ? "udp" : "tcp";
      const body: EchoRequest = { text: echoText.value, transport };
      const r = await postJson<EchoResult>("/api/echo", body);
      return [
        el(
          "p",
          {},
          `Sent ${r.sent} byte${r.sent === 1 ? "" : "s"} over ${r.transport.toUpperCase()} from `,
          el("strong", { class: "ephemeral" }, endpoint(r.local.address, r.local.port)),
          " (the web service's ephemeral port) to ",
          el("strong", {}, endpoint(r.remote.address, r.remote.port)),
          `; the same came back in ${ms(r.roundTripMs)}:`,
        ),
        el("pre", { class: "echoed" }, r.received),
      ];
    },
  );

  const whoami = card(
    "try-whoami",
    "Who am I?",
    "GET /api/whoami: both ends of your browser's connection to this page's port.",
    [],
    "Ask again",
    async () => {
      const r = await getJson<Whoami>("/api/whoami");
      const ephemeral =
        r.client.inEphemeralRange === undefined
          ? ""
          : r.client.inEphemeralRange
            ? ", inside this machine's ephemeral range"
            : ", outside this machine's ephemeral range (another machine chose it)";
      return [
        el(
          "p",
          {},
          "Your browser connected from ",
          el("strong", { class: "ephemeral" }, endpoint(r.client.address, r.client.port)),
          ` (an ephemeral port your system picked; ${r.client.rangeClass ?? ""} range${ephemeral}) to `,
          el("strong", {}, endpoint(r.server.address, r.server.port)),
          ` (${r.service} over ${r.transport}).`,
        ),
        el(
          "p",
          { class: "note" },
          "Browsers keep a connection open for several requests, so the port stays the same for a while; a new connection gets a new one.",
        ),
      ];
    },
  );

  root.replaceChildren(send.card, echo.card, whoami.card);
  void whoami.submit();
}
