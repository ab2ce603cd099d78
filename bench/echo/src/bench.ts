import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { pingPong, SHAPE, Stalled, tcpThroughput, timed, udpRate } from "./measure.js";
import { startBareNode, startPorthostAsUsersDo, startSocat, type EchoServer } from "./servers.js";

const USAGE = `Usage: npm run bench:echo -- [options]

porthost's echo (started by \`porthost start\` as npm start runs it: every service, default
settings, log level and connection events) against a bare node pipe and socat, on loopback, in
one run: a TCP stream, small-message ping-pong and UDP datagrams, the servers taking turns round
after round. Needs socat (Debian: apt-get install socat). Other work on the machine skews every
figure: compare the rows of one run, and mind the load average it prints.

Options:
  --quick     one round of smaller measurements
  -h, --help  print this and exit
`;

const { values } = parseArgs({
  options: { quick: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const QUICK = values.quick;
const STREAM_BYTES = (QUICK ? 128 : 512) * 1024 * 1024; // per round, each way
const ROUNDS = QUICK ? 1 : 5; // servers take turns each round; the median round counts
const PING_COUNT = QUICK ? 5_000 : 20_000; // round trips measured
const UDP_SECONDS = QUICK ? 1 : 3;
const TARGETS = { throughputVsBare: 0.9, latencyVsBare: 1.1 } as const;

interface Samples {
  mbps: number[];
  cpuGiB: number[];
  p50: number[];
  p99: number[];
  udp: number[];
  cpuUdp: number[];
  stalls: number;
}

const median = (values: readonly number[]): number =>
  values.length === 0 ? Number.NaN : [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function table(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}

async function measure(servers: readonly EchoServer[]): Promise<Map<string, Samples>> {
  const results = new Map(
    servers.map((s) => [s.name, { mbps: [], cpuGiB: [], p50: [], p99: [], udp: [], cpuUdp: [], stalls: 0 } as Samples]),
  );
  // A warm-up pass (not counted) so the client's own JIT does not weigh on whoever goes first.
  process.stderr.write("warm-up...\n");
  for (const server of servers) {
    await timed(`${server.name} warm-up`, pingPong(server.tcp, PING_COUNT)).catch(() => undefined);
    await timed(`${server.name} warm-up`, udpRate(server.udp, server.udpCpu, UDP_SECONDS)).catch(() => undefined);
  }
  for (let round = 1; round <= ROUNDS; round++) {
    process.stderr.write(`round ${round}/${ROUNDS}...\n`);
    // Each round starts with a different server, so load from elsewhere on the machine spreads evenly.
    const order = servers.map((_, i) => servers[(i + round) % servers.length]!);
    for (const server of order) {
      const r = results.get(server.name)!;
      process.stderr.write(`  ${server.name}: tcp stream`);
      try {
        const stream = tcpThroughput(server.tcp, server.cpu, STREAM_BYTES);
        const { mbps, cpuMsPerGiB } = await timed(`${server.name} tcp stream`, stream);
        r.mbps.push(mbps);
        r.cpuGiB.push(cpuMsPerGiB);
      } catch (error) {
        if (!(error instanceof Stalled)) throw error;
        r.stalls += 1;
        process.stderr.write(` (${error.message})`);
      }
      process.stderr.write(", ping-pong");
      const { p50, p99 } = await timed(`${server.name} ping-pong`, pingPong(server.tcp, PING_COUNT));
      r.p50.push(p50);
      r.p99.push(p99);
      process.stderr.write(", udp\n");
      const udp = await timed(`${server.name} udp`, udpRate(server.udp, server.udpCpu, UDP_SECONDS));
      r.udp.push(udp.rate);
      r.cpuUdp.push(udp.cpuUsPerEcho);
    }
  }
  return results;
}

function report(servers: readonly EchoServer[], results: Map<string, Samples>): string {
  type Key = Exclude<keyof Samples, "stalls">;
  const m = (name: string, key: Key) => median(results.get(name)![key]);
  const metrics: [string, Key, (v: number) => string][] = [
    ["TCP throughput, MB/s each way", "mbps", (v) => v.toFixed(0)],
    ["  server CPU ms per GiB echoed", "cpuGiB", (v) => v.toFixed(0)],
    ["ping-pong p50, us", "p50", (v) => v.toFixed(1)],
    ["ping-pong p99, us", "p99", (v) => v.toFixed(1)],
    ["UDP echoes per second", "udp", (v) => v.toFixed(0)],
    ["  server CPU us per UDP echo", "cpuUdp", (v) => v.toFixed(1)],
  ];
  // A value of 0 was not measured (socat's forked children are not its listener's CPU): say so.
  const shown = (fmt: (v: number) => string, v: number) => (v > 0 ? fmt(v) : "n/a");
  const ratio = (a: number, b: number) => (a > 0 && b > 0 ? `${(a / b).toFixed(a / b < 0.1 ? 3 : 2)}x` : "n/a");
  const rows = metrics.map(([label, key, fmt]) => [
    label,
    shown(fmt, m("porthost", key)),
    shown(fmt, m("bare node", key)),
    shown(fmt, m("socat", key)),
    ratio(m("porthost", key), m("bare node", key)),
    ratio(m("porthost", key), m("socat", key)),
  ]);
  const throughputRatio = m("porthost", "mbps") / m("bare node", "mbps");
  const latencyRatio = m("porthost", "p50") / m("bare node", "p50");
  const perRound = (name: string, key: Key, digits: number) => {
    const samples = results.get(name)![key];
    return samples.map((v) => v.toFixed(digits)).join(" ");
  };
  return [
    "",
    `bench/echo: loopback, node ${process.version}, median of ${ROUNDS} round(s); ` +
      `${STREAM_BYTES / 1024 / 1024} MiB stream, ${PING_COUNT} ping-pongs of ${SHAPE.PING_BYTES} B, ` +
      `${UDP_SECONDS} s of ${SHAPE.UDP_BYTES} B datagrams with ${SHAPE.UDP_WINDOW} in flight`,
    "porthost: porthost start, default settings and log level, connection events on (the web service " +
      "shows every connection and datagram), UDP per-source limit raised (every datagram comes from one source); " +
      "its CPU rows count every porthost process",
    "socat: TCP-LISTEN,fork PIPE and UDP-RECVFROM,fork PIPE (one process per datagram)",
    "server CPU rows come from /proc (10 ms ticks) and, unlike wall time, do not grow when other programs load the cores",
    "",
    table(["", "porthost", "bare node", "socat", "porthost/bare", "porthost/socat"], rows),
    "",
    ...servers
      .filter((s) => results.get(s.name)!.stalls > 0)
      .map(
        (s) =>
          `${s.name}: the stream stalled in ${results.get(s.name)!.stalls} of ${ROUNDS} rounds and counts only the others` +
          (s.name === "socat" ? " (socat's PIPE can block writing into its own full pipe)" : ""),
      ),
    // Every round, not just the median: on a shared machine the spread says how far to trust a ratio.
    ...servers.map(
      (s) => `${s.name} per round: MB/s ${perRound(s.name, "mbps", 0)}; p50 us ${perRound(s.name, "p50", 1)}`,
    ),
    `load average at the end: ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")} (${cpus().length} cores)`,
    `target TCP throughput >= ${TARGETS.throughputVsBare}x bare: ${throughputRatio.toFixed(2)}x, ` +
      (throughputRatio >= TARGETS.throughputVsBare ? "met" : "NOT met"),
    `target ping-pong p50 <= ${TARGETS.latencyVsBare}x bare: ${latencyRatio.toFixed(2)}x, ` +
      (latencyRatio <= TARGETS.latencyVsBare ? "met" : "NOT met"),
    "",
  ].join("\n");
}

const dataDir = await mkdtemp(path.join(tmpdir(), "porthost-bench-echo-"));
const servers: EchoServer[] = [];
const stopAll = () => Promise.all(servers.map((s) => s.stop()));
process.on("SIGINT", () => void stopAll().then(() => process.exit(130)));
try {
  servers.push(await startPorthostAsUsersDo(dataDir));
  servers.push(await startBareNode());
  servers.push(await startSocat());
  console.log(report(servers, await measure(servers)));
} finally {
  await stopAll();
  await rm(dataDir, { recursive: true, force: true });
}
