import { existsSync } from "node:fs";
import {
  maildirRoot,
  MailStore,
  sessionsRoot,
  MessageWaiters,
  SearchSyntaxError,
  waitQuery,
  type MessageSummary,
  type ParsedMessage,
} from "@porthost/mailstore";
import type { PorthostConfig } from "@porthost/ports";
import { failure, usageError } from "../cli-error.js";
import { findDataDir } from "../data-dir.js";
import { renderTable } from "../table.js";

export interface MailArgs {
  readonly search?: string | undefined;
  readonly limit?: string | undefined;
  readonly cursor?: string | undefined;
  readonly all?: boolean | undefined;
  readonly to?: readonly string[] | undefined;
  readonly from?: string | undefined;
  readonly subject?: string | undefined;
  readonly since?: string | undefined;
  readonly timeout?: string | undefined;
}

/** `porthost mail wait` waits this long unless --timeout says otherwise (seconds), as GET /api/messages/wait. */
const DEFAULT_WAIT_SECONDS = 30;
const MAX_WAIT_SECONDS = 300;

/** What `porthost mail` writes: text for a person, or bytes (raw, attachment) as they are. */
export type MailOutput =
  | { readonly text: string }
  | {
      readonly bytes: Buffer;
      /** The command that writes the same bytes to a file, for a terminal that should not get binary. */
      readonly redirect?: string;
    };

const SUBJECT_WIDTH = 50;

function shorten(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/** Where the mail is read from, and how that folder was found (findDataDir). */
function noMailYet(root: string): string {
  return `no mail yet in ${root}: send some with porthost send --to you@example.test (or set PORTHOST_DATA_DIR to where porthost keeps it)`;
}

function listText(
  messages: readonly MessageSummary[],
  total: number,
  next: string | null,
  search: string | undefined,
  root: string,
): string {
  if (messages.length === 0 && total === 0)
    return search ? `no message matches ${JSON.stringify(search)}` : noMailYet(root);
  if (messages.length === 0) return "";
  const rows = messages.map((m) => [
    m.id,
    m.receivedAt.slice(0, 19).replace("T", " "),
    shorten(m.from, 30),
    shorten(m.to.join(", "), 30),
    shorten(m.subject, SUBJECT_WIDTH),
  ]);
  const lines = [renderTable(["id", "received (UTC)", "from", "to", "subject"], rows)];
  lines.push("", `${messages.length} of ${total} shown${next ? `; next page: --cursor ${next}` : ""}`);
  return lines.join("\n");
}

function showText(message: ParsedMessage): string {
  const { summary } = message;
  const envelope = summary.envelope;
  const lines = [
    `id:       ${summary.id}`,
    `received: ${summary.receivedAt} (${summary.size} bytes)`,
    `from:     ${summary.from}`,
    `to:       ${summary.to.join(", ")}`,
    ...(summary.cc.length > 0 ? [`cc:       ${summary.cc.join(", ")}`] : []),
    `subject:  ${summary.subject}`,
  ];
  if (envelope) {
    lines.push(
      `envelope: MAIL FROM:<${envelope.mailFrom}> RCPT TO:${envelope.rcptTo.map((r) => `<${r}>`).join(",")}`,
      `via:      ${envelope.client.address}:${envelope.client.port} -> port ${envelope.server.port}` +
        `${envelope.tls ? `, ${envelope.tls.protocol}` : ""}${envelope.authUser ? `, AUTH ${envelope.authUser}` : ""}`,
    );
  }
  message.attachments.forEach((a) =>
    lines.push(`attached: [${a.index}] ${a.filename ?? "(no name)"} ${a.contentType} ${a.size} bytes`),
  );
  lines.push("", message.text ?? (message.html ? "(HTML only: porthost mail raw shows it)" : "(no text)"));
  return lines.join("\n");
}

async function resolveId(store: MailStore, id: string | undefined): Promise<string> {
  if (id === undefined) throw usageError("which message? give its id (from porthost mail list) or latest");
  if (id !== "latest") return id;
  const newest = (await store.list({ limit: 1 })).messages[0];
  if (!newest) throw failure("there is no mail yet");
  return newest.id;
}

function notFound(id: string): Error {
  return failure(`no message ${JSON.stringify(id)}: porthost mail list shows the ids`);
}

/**
 * `porthost mail wait`: the newest message matching --to, --from, --subject and --search (one
 * already stored counts unless --since is given), as soon as it is stored; fails at --timeout.
 */
async function waitForMail(store: MailStore, args: MailArgs, json: boolean): Promise<MailOutput> {
  const seconds = args.timeout === undefined ? DEFAULT_WAIT_SECONDS : Number(args.timeout);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_WAIT_SECONDS) {
    throw usageError(`--timeout takes whole seconds from 1 to ${MAX_WAIT_SECONDS}`);
  }
  let query;
  try {
    query = waitQuery({ to: args.to, from: args.from, subject: args.subject, q: args.search, since: args.since });
  } catch (error) {
    if (error instanceof SearchSyntaxError) throw usageError(error.message);
    throw error;
  }
  const outcome = await new MessageWaiters(store, 1).wait(query, seconds * 1000, () => undefined);
  if (outcome.kind !== "found") {
    const what = [args.to?.length ? `to ${args.to.join(", ")}` : "", args.from ? `from ${args.from}` : ""]
      .filter(Boolean)
      .join(" ");
    throw failure(`no message${what ? ` ${what}` : ""} arrived within ${seconds} s (--timeout)`);
  }
  return { text: json ? JSON.stringify(outcome.message, null, 2) : outcome.message.id };
}

/** `porthost mail list|show|raw|attachment|wait|delete`: the stored mail, read from the Maildir. */
export async function mailCommand(
  rest: readonly string[],
  args: MailArgs,
  config: PorthostConfig,
  json: boolean,
): Promise<MailOutput> {
  const [action = "list", id, extra] = rest;
  // The folder the running services use, wherever this runs from (findDataDir).
  const dataDir = (await findDataDir(config)).dir;
  const root = maildirRoot(dataDir);
  if (action === "session") {
    const { mailSessionCommand } = await import("./mail-session.js");
    return { text: await mailSessionCommand(sessionsRoot(dataDir), id, json) };
  }
  // Reading never creates a Maildir (in whatever directory the command was run from).
  if (!existsSync(root)) {
    if (action === "list")
      return { text: json ? JSON.stringify({ messages: [], total: 0, nextCursor: null }, null, 2) : noMailYet(root) };
    if (action !== "delete" || !args.all) throw failure(noMailYet(root));
    return { text: json ? JSON.stringify({ deleted: 0 }) : "deleted 0 messages" };
  }
  // Only a wait follows the Maildir's changes as they happen; the other actions read it once.
  const store = await MailStore.open(root, { watch: action === "wait" });
  try {
    switch (action) {
      case "list": {
        const limit = args.limit === undefined ? undefined : Number(args.limit);
        if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
          throw usageError("--limit takes a whole number from 1");
        }
        const page = await store.list({ query: args.search, limit, cursor: args.cursor });
        return {
          text: json
            ? JSON.stringify(page, null, 2)
            : listText(page.messages, page.total, page.nextCursor, args.search, root),
        };
      }
      case "show": {
        const resolved = await resolveId(store, id);
        const message = await store.get(resolved);
        if (!message) throw notFound(resolved);
        return { text: json ? JSON.stringify(message, null, 2) : showText(message) };
      }
      case "raw": {
        const resolved = await resolveId(store, id);
        const raw = await store.raw(resolved);
        if (!raw) throw notFound(resolved);
        return { bytes: raw };
      }
      case "attachment": {
        const resolved = await resolveId(store, id);
        const index = Number(extra);
        if (extra === undefined || !Number.isInteger(index) || index < 0) {
          throw usageError("attachment takes a message id and the attachment's number (from porthost mail show)");
        }
        const attachment = await store.attachment(resolved, index);
        if (!attachment) throw failure(`message ${resolved} has no attachment ${index}`);
        const file = attachment.info.filename ?? `attachment-${index}`;
        const target = /^[\w.@+-]+$/.test(file) ? file : `'${file.replace(/'/g, "'\\''")}'`;
        return { bytes: attachment.content, redirect: `npx porthost mail attachment ${resolved} ${index} > ${target}` };
      }
      case "delete": {
        if (args.all) {
          const deleted = await store.deleteAll();
          return { text: json ? JSON.stringify({ deleted }) : `deleted ${deleted} message${deleted === 1 ? "" : "s"}` };
        }
        const resolved = await resolveId(store, id);
        if (!(await store.delete(resolved))) throw notFound(resolved);
        return { text: json ? JSON.stringify({ deleted: 1 }) : `deleted ${resolved}` };
      }
      case "wait":
        return await waitForMail(store, args, json);
      default:
        throw usageError(
          `unknown mail action ${JSON.stringify(action)}: list, show, raw, attachment, wait, session or delete`,
        );
    }
  } finally {
    await store.close();
  }
}
