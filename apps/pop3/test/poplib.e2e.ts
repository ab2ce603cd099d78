import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { requireTool, TEST_TLS_FILES, testTlsMaterial } from "@porthost/testkit";
import { crlfMessage, startPop3, type RunningPop3 } from "./pop3-client.js";

const run = promisify(execFile);

/** Python's poplib over STLS and APOP: what it fetched, as JSON. */
const SCRIPT = `
import base64, json, poplib, ssl, sys
pop = poplib.POP3("127.0.0.1", int(sys.argv[1]))
context = ssl.create_default_context(cafile=sys.argv[2])
context.check_hostname = False
pop.stls(context)
capa = pop.capa()
pop.apop("ann", "secret")
top = pop.top(1, 1)[1]
raw = b"".join(line + b"\\r\\n" for line in pop.retr(1)[1])
out = {"capa": sorted(capa), "uidl": pop.uidl(1).decode(), "top": [l.decode() for l in top], "raw": base64.b64encode(raw).decode()}
try:
    pop.apop("ann", "again")
except poplib.error_proto as e:
    out["again"] = str(e)
pop.quit()
print(json.dumps(out))
`;

let running: RunningPop3 | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe("Python's poplib", () => {
  it("upgrades with STLS, logs in with APOP, and fetches the stored bytes with TOP, UIDL and RETR", async () => {
    const python = requireTool("python3");
    running = await startPop3({
      tls: testTlsMaterial(),
      settings: { users: [{ username: "ann", password: "secret" }] },
    });
    const id = await running.deliver(crlfMessage("over TLS", [".first", "second"]));
    const { stdout } = await run(python, ["-c", SCRIPT, String(running.port), TEST_TLS_FILES.certFile]);
    const result = JSON.parse(stdout) as { capa: string[]; uidl: string; top: string[]; raw: string; again: string };
    expect(result.capa).not.toContain("STLS");
    expect(result.capa).toEqual(expect.arrayContaining(["TOP", "UIDL", "USER", "RESP-CODES", "PIPELINING"]));
    expect(result.uidl).toBe(`+OK 1 ${id}`);
    expect(result.top.slice(-2)).toEqual(["", ".first"]);
    expect(Buffer.from(result.raw, "base64").equals((await running.store.raw(id))!)).toBe(true);
    expect(result.again).toContain("-ERR APOP is only valid before login");
  });
});
