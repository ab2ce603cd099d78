import { execFile } from "node:child_process";
import dgram from "node:dgram";
import { once } from "node:events";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findTool } from "@porthost/testkit";
import { recordProbe } from "./probe-table.js";
import { startHostileHost, type HostileHost } from "./hostile-host.js";

const execFileAsync = promisify(execFile);

/**
 * The real attack, as root: one UDP datagram whose IP header says it comes from 127.0.0.1 at
 * echo's own port, sent through a raw socket (IP_HDRINCL), while a packet socket on lo counts
 * every datagram that arrives with that port on both ends (the forged one, then any reply
 * echo sends itself) until lo has been quiet for a second. Prints {"seen": n}.
 */
const FORGE_AND_COUNT = String.raw`
import json, socket, struct, sys, time
port = int(sys.argv[1])
sniffer = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
sniffer.bind(("lo", 0))
sniffer.settimeout(0.2)
payload = b"forged from echo's own endpoint"
udp = struct.pack("!HHHH", port, port, 8 + len(payload), 0) + payload
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                 socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.1"))
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
raw.sendto(ip + udp, ("127.0.0.1", 0))
seen = 0
quiet_since = time.monotonic()
deadline = time.monotonic() + 10
while time.monotonic() - quiet_since < 1.0 and time.monotonic() < deadline:
    try:
        frame, address = sniffer.recvfrom(65535)
    except socket.timeout:
        continue
    if address[2] != socket.PACKET_HOST:
        continue  # lo shows each packet twice: going out and coming in; count arrivals
    packet = frame[14:]
    if len(packet) < 28 or packet[9] != 17:
        continue
    header = (packet[0] & 0x0F) * 4
    sport, dport = struct.unpack("!HH", packet[header:header + 4])
    if sport == port and dport == port:
        seen += 1
        quiet_since = time.monotonic()
print(json.dumps({"seen": seen}))
`;

let host: HostileHost;
beforeAll(async () => {
  host = await startHostileHost();
});
afterAll(() => host.close());

/** Whether a datagram from a fresh socket on 127.0.0.1 gets its echo: 127.0.0.1's rate bucket is not empty. */
async function realClientAnswered(port: number): Promise<boolean> {
  const socket = dgram.createSocket("udp4");
  try {
    socket.bind(0, "127.0.0.1");
    await once(socket, "listening");
    const reply = once(socket, "message").then(() => true);
    socket.send("a real client", port, "127.0.0.1");
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2_000).unref());
    return await Promise.race([reply, timeout]);
  } finally {
    socket.close();
  }
}

describe("UDP echo and porthost's own endpoints", () => {
  it("a datagram forged from 127.0.0.1:<echo port> to echo gets no reply", async (context) => {
    if (process.getuid?.() !== 0 || !findTool("python3")) {
      return context.skip("forging a source address needs root (raw sockets) and python3");
    }
    const port = host.port("echo", "udp");
    const { stdout } = await execFileAsync("python3", ["-c", FORGE_AND_COUNT, String(port)]);
    const { seen } = JSON.parse(stdout) as { seen: number };
    const replies = seen - 1;
    const answered = await realClientAnswered(port);
    expect(seen).toBeGreaterThanOrEqual(1); // the forged datagram itself was seen arriving
    expect(
      recordProbe({
        probe: "UDP echo: one datagram forged from echo's own endpoint",
        limit: "at most 1 reply (none)",
        observed: `${replies} replies; a real client on 127.0.0.1 then ${answered ? "got" : "did NOT get"} its echo`,
        held: replies <= 1 && answered,
      }),
    ).toBe(true);
  });
});
