import { execFile } from "node:child_process";
import { mkdir, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnvironment } from "@porthost/ports";
import { ephemeralPorts, freePort, requireTool, type RunningPorthost, startPorthost, tempDir } from "@porthost/testkit";

const run = promisify(execFile);

const BIN = fileURLToPath(import.meta.resolve("@porthost/cli/bin"));

/** Python's poplib: every message's UIDL and bytes as poplib hands them over (CRLF lines, un-stuffed). */
const POPLIB_FETCH = `
import base64, json, poplib, sys
pop = poplib.POP3("127.0.0.1", int(sys.argv[1]))
pop.user("learner"); pop.pass_("anything")
count, octets = pop.stat()
out = {"count": count, "octets": octets, "messages": []}
for line in pop.uidl()[1]:
    number, uid = line.decode().split(" ")
    response, lines, size = pop.retr(int(number))
    listed = int(pop.list(int(number)).decode().split(" ")[2])
    raw = b"".join(l + b"\\r\\n" for l in lines)
    out["messages"].append({"uid": uid, "listed": listed, "raw": base64.b64encode(raw).decode()})
pop.quit()
print(json.dumps(out))
`;

interface PoplibResult {
  count: number;
  octets: number;
  messages: { uid: string; listed: number; raw: string }[];
}

/** The README tour's mail step: send with `porthost send` and nodemailer, fetch with poplib and mpop. */
describe("mail in on the SMTP port, out on the POP3 port, with outside clients", () => {
  let porthost: RunningPorthost;
  let dataDir: string;
  let remove: () => Promise<void>;
  const ids: string[] = [];

  beforeAll(async () => {
    for (const tool of ["python3", "mpop"]) requireTool(tool);
    ({ dir: dataDir, remove } = await tempDir());
    porthost = await startPorthost(BIN, {
      PORTHOST_DATA_DIR: dataDir,
      ...ephemeralPorts(),
      // A real number: the other services post their events to the web service at this port.
      PORTHOST_HTTP_PORT: String(await freePort()),
    });
    const sent = await run(
      process.execPath,
      [
        BIN,
        "send",
        "--json",
        "--to",
        "learner@example.test",
        "--subject",
        "sent with porthost send",
        "--text",
        "one port in",
      ],
      { env: cleanEnvironment({ PORTHOST_SMTP_PORT: String(porthost.port("smtp")) }) },
    );
    ids.push(/queued as ([^\s"]+)/.exec(sent.stdout)![1]!);
    const transport = nodemailer.createTransport({ host: "127.0.0.1", port: porthost.port("smtp"), ignoreTLS: true });
    const info = await transport.sendMail({
      from: "app@example.test",
      to: "learner@example.test",
      subject: "Grüße from nodemailer",
      text: "line one\n.a dot-line, byte-stuffed on the wire\n.\nÜmlaut and the end",
      attachments: [{ filename: "bytes.bin", content: Buffer.from([0, 1, 2, 254, 255]) }],
    });
    transport.close();
    ids.push(/queued as (\S+)/.exec(info.response)![1]!);
  });
  afterAll(async () => {
    expect(await porthost?.stop()).toBe(0);
    await remove?.();
  });

  async function stored(id: string): Promise<Buffer> {
    return readFile(path.join(dataDir, "Maildir", "new", id));
  }

  it("python's poplib fetches each message byte for byte, sized as LIST said, with the Maildir name as UIDL", async () => {
    const { stdout } = await run(requireTool("python3"), ["-c", POPLIB_FETCH, String(porthost.port("pop3"))]);
    const result = JSON.parse(stdout) as PoplibResult;
    expect(result.count).toBe(2);
    expect(result.messages.map((m) => m.uid)).toEqual(ids);
    let octets = 0;
    for (const message of result.messages) {
      const raw = Buffer.from(message.raw, "base64");
      const file = await stored(message.uid);
      expect(raw.equals(file), `${message.uid} as fetched`).toBe(true);
      expect(message.listed).toBe(file.length);
      octets += file.length;
    }
    expect(result.octets).toBe(octets);
  });

  it("mpop fetches the same messages (as LF text, its local convention) and, by UIDL, nothing twice", async () => {
    const out = path.join(dataDir, "mpop");
    await mkdir(out);
    const mpop = (onlyNew: boolean) =>
      run(requireTool("mpop"), [
        "--host=127.0.0.1",
        `--port=${porthost.port("pop3")}`,
        "--tls=off",
        "--auth=user",
        "--user=learner",
        "--passwordeval=echo anything",
        `--delivery=mda,cat > "$(mktemp ${out}/fetched.XXXXXX)"`,
        "--received-header=off",
        "--keep=on",
        `--only-new=${onlyNew ? "on" : "off"}`,
        `--uidls-file=${path.join(dataDir, "mpop-uidls")}`,
        "--quiet",
      ]);
    await mpop(false);
    const fetched = await Promise.all((await readdir(out)).map((name) => readFile(path.join(out, name), "latin1")));
    const expected = await Promise.all(
      ids.map(async (id) => (await stored(id)).toString("latin1").replace(/\r\n/g, "\n")),
    );
    expect(fetched.sort()).toEqual(expected.sort());
    // mpop records each UIDL on a line of its own, in the server's order (not necessarily ours).
    const uidls = (await readFile(path.join(dataDir, "mpop-uidls"), "utf8")).split("\n");
    for (const id of ids) expect(uidls).toContain(id);
    await mpop(true);
    expect(await readdir(out)).toHaveLength(2);
  });

  it("the switchboard saw both ports: the SMTP connections in and the POP3 sessions out", async () => {
    const events = async () =>
      (
        (await (await fetch(`http://127.0.0.1:${porthost.port("http")}/api/events`)).json()) as {
          events: { service: string; localPort: number; detail?: string }[];
        }
      ).events;
    await expect
      .poll(async () => {
        const seen = await events();
        return {
          smtp: seen.filter((e) => e.service === "smtp" && e.localPort === porthost.port("smtp")).length,
          pop3: seen.filter((e) => e.service === "pop3" && e.localPort === porthost.port("pop3")).length,
        };
      })
      .toEqual({ smtp: 2, pop3: 3 });
    expect((await events()).find((e) => e.service === "pop3")?.detail).toBe("user learner, 2 retrieved, 0 deleted");
  });
});
