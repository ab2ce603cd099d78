import { listSessions, readSession, SESSION_ID_PATTERN, type SessionRecord } from "@porthost/mailstore";
import { failure, usageError } from "../cli-error.js";
import { renderTable } from "../table.js";

/** `porthost mail session` without an id lists this many, newest first. */
const LIST_SIZE = 20;
const SOURCE_MARK = { client: "C:", server: "S:", note: "* " } as const;

function sessionText(record: SessionRecord): string {
  const head = [
    `session  ${record.id}, ${record.service}, ${record.outcome}${record.detail ? `: ${record.detail}` : ""}`,
    `started  ${record.startedAt}, lasted ${record.durationMs} ms`,
    `client   ${record.client.address}:${record.client.port} -> port ${record.server.port}`,
  ];
  if (record.helo !== null) head.push(`helo     ${record.helo}`);
  if (record.tls) head.push(`tls      ${record.tls.version} ${record.tls.cipher} (${record.tls.mode})`);
  if (record.user !== null) head.push(`user     ${record.user}`);
  for (const id of record.messages) head.push(`stored   ${id} (porthost mail show ${id})`);
  const width = Math.max(...record.transcript.map((line) => line.at.toFixed(1).length), 1);
  const lines = record.transcript.map(
    (line) => `${line.at.toFixed(1).padStart(width)} ms  ${SOURCE_MARK[line.from]} ${line.text}`,
  );
  return [...head, "", ...lines].join("\n");
}

async function listText(dir: string, json: boolean): Promise<string> {
  const list = await listSessions(dir, { limit: LIST_SIZE });
  if (json) return JSON.stringify(list, null, 2);
  if (list.sessions.length === 0) return `no sessions on record yet in ${dir}: send mail with porthost send`;
  const rows = list.sessions.map((s) => [
    s.id,
    s.startedAt.slice(0, 19).replace("T", " "),
    s.service,
    `${s.client.address}:${s.client.port}`,
    s.outcome,
    s.detail ?? "",
  ]);
  return [
    renderTable(["session", "started (UTC)", "service", "client", "outcome", "detail"], rows),
    "",
    `${list.sessions.length} of ${list.total} shown; porthost mail session <id> prints one`,
  ].join("\n");
}

/**
 * `porthost mail session [<id>|latest]`: one session's transcript (both ends, HELO, TLS, AUTH
 * user, outcome, stored messages, each line with its time), or the newest sessions without an id.
 */
export async function mailSessionCommand(dir: string, id: string | undefined, json: boolean): Promise<string> {
  if (id === undefined) return listText(dir, json);
  let wanted = id;
  if (id === "latest") {
    const newest = (await listSessions(dir, { limit: 1 })).sessions[0];
    if (!newest) throw failure(`no sessions on record yet in ${dir}`);
    wanted = newest.id;
  } else if (!new RegExp(SESSION_ID_PATTERN).test(id)) {
    throw usageError(
      `${JSON.stringify(id)} is not a session id (16 characters, 0-9 and a-v): porthost mail session lists them`,
    );
  }
  const record = await readSession(dir, wanted);
  if (!record) {
    throw failure(
      `no session ${wanted} on record (past PORTHOST_SESSIONS_MAX the oldest go): porthost mail session lists them`,
    );
  }
  return json ? JSON.stringify(record, null, 2) : sessionText(record);
}
