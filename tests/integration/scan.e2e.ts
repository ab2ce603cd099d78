import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnvironment } from "@porthost/ports";
import { requireTool } from "@porthost/testkit";

const run = promisify(execFile);
const BIN = fileURLToPath(import.meta.resolve("@porthost/cli/bin"));

/**
 * A listener that never accepts, its queue already full: the kernel drops further handshakes,
 * so a scanner hears nothing back (what a firewall that drops packets looks like).
 */
const FULL_QUEUE = `
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
port = s.getsockname()[1]
held = []
for _ in range(4):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", port))
    except BlockingIOError: pass
    held.append(c)
print(port, flush=True)
time.sleep(120)
`;

async function listening(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as net.AddressInfo).port;
}

/** nmap's verdict per port, from its grepable output ("Ports: 22/open/tcp//ssh///, ..."). */
function nmapStates(grepable: string): Record<number, string> {
  const ports = /Ports: (.*?)(\t|$)/m.exec(grepable)?.[1] ?? "";
  return Object.fromEntries(
    ports
      .split(", ")
      .filter(Boolean)
      .map((entry) => {
        const [port, state] = entry.split("/");
        return [Number(port), state!];
      }),
  );
}

describe("porthost scan agrees with nmap -sT", () => {
  const servers: net.Server[] = [];
  let dropper: ChildProcess;
  let open: number[];
  let closed: number;
  let dropping: number;

  beforeAll(async () => {
    requireTool("nmap");
    servers.push(
      net.createServer((s) => s.destroy()),
      net.createServer((s) => s.destroy()),
    );
    open = await Promise.all(servers.map(listening));
    const gone = net.createServer();
    closed = await listening(gone);
    await new Promise((resolve) => gone.close(resolve));
    dropper = spawn(requireTool("python3"), ["-c", FULL_QUEUE], { stdio: ["ignore", "pipe", "inherit"] });
    const [line] = (await once(dropper.stdout!, "data")) as [Buffer];
    dropping = Number(line.toString().trim());
  });
  afterAll(() => {
    for (const server of servers) server.close();
    dropper?.kill();
  });

  it("open, closed and filtered ports, the same as nmap says", async () => {
    const list = [...open, closed, dropping].join(",");
    const ours = await run(
      process.execPath,
      [BIN, "scan", "127.0.0.1", "--ports", list, "--timeout", "500", "--json"],
      {
        env: cleanEnvironment(),
      },
    );
    const body = JSON.parse(ours.stdout) as { open: { port: number }[]; closed: number; filtered: number };
    expect(body.open.map((p) => p.port).sort()).toEqual([...open].sort());
    expect(body).toMatchObject({ closed: 1, filtered: 1 });

    const theirs = await run(requireTool("nmap"), ["-sT", "-Pn", "-n", "-p", list, "127.0.0.1", "-oG", "-"]);
    expect(nmapStates(theirs.stdout)).toEqual({
      [open[0]!]: "open",
      [open[1]!]: "open",
      [closed]: "closed",
      [dropping]: "filtered",
    });
  });
});
