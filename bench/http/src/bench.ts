import { rmSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { neverRead, type NeverReadResult } from "./never-read.js";
import {
  cpuMs,
  headersOf,
  SITE,
  startBareNode,
  startNginx,
  startPorthostAsUsersDo,
  startWebAlone,
  type RunningServer,
} from "./servers.js";
import { need, wrk, type WrkResult } from "./wrk.js";

const USAGE = `Usage: npm run bench:http -- [options]

wrk against porthost's web service (started by \`porthost start\` as npm start runs it: every
service, default log level, a log line per request), nginx (one worker, sendfile, access log)
and a bare node:http server sending the same bytes with porthost's headers, taking turns round
after round on loopback (a last row: the web process alone, its log to a file); then the web process's memory while clients pipeline GETs and never
read. Needs wrk and nginx (Debian: apt-get install wrk nginx-light). Other work on the machine
skews every figure: compare the rows of one run, and mind the load average it prints.

Options:
  --seconds <n>        seconds per wrk run (default 5)
  --connections <n>    wrk connections (default 50)
  --rounds <n>         rounds; each server keeps its median (default 3)
  --flood-seconds <n>  seconds of clients that never read (default 10)
  -h, --help           print this and exit
`;

/** A small teaching page (2-3 KB), the size the targets are set for. */
const PAGE = "/ports.html";
const TARGETS = { vsNginx: 0.5, vsBare: 0.7, rssGrowthMiB: 200 } as const;
const NEVER_READ_CONNECTIONS = 100;

const DEFAULTS = { seconds: 5, connections: 50, rounds: 3, "flood-seconds": 10 } as const;
type Setting = keyof typeof DEFAULTS;
const settingOptions = Object.fromEntries(Object.keys(DEFAULTS).map((name) => [name, { type: "string" }]));
const { values } = parseArgs({
  options: {
    ...(settingOptions as Record<Setting, { type: "string" }>),
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
/** A positive whole number given on the command line, else its default; anything else ends the run. */
function setting(name: Setting): number {
  const text = values[name];
  const value = text === undefined ? DEFAULTS[name] : Number(text);
  if (Number.isInteger(value) && value > 0) return value;
  process.stderr.write(`--${name} must be a positive whole number, not ${JSON.stringify(text)}\n\n${USAGE}`);
  process.exit(2);
}
const SECONDS = setting("seconds");
const CONNECTIONS = setting("connections");
const ROUNDS = setting("rounds");
const FLOOD_SECONDS = setting("flood-seconds");

await need("wrk");
await need("nginx", "nginx-light");
const body = await readFile(path.join(SITE, PAGE));
const dir = await mkdtemp(path.join(tmpdir(), "porthost-bench-http-"));
// Removed however the run ends, a failure included.
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
let dataDirs = 0;
const porthost = () => startPorthostAsUsersDo(path.join(dir, `data-${++dataDirs}`), PAGE);
const loadAtStart = loadavg();

const first = await porthost();
const headers = await headersOf(first.port, PAGE);
await first.stop(0);

const servers: readonly (readonly [string, () => Promise<RunningServer>])[] = [
  ["nginx (1 worker, sendfile, access log)", () => startNginx(dir)],
  [
    `bare node:http (porthost's ${Object.keys(headers).length} headers)`,
    () => startBareNode(path.join(SITE, PAGE), headers),
  ],
  ["porthost start (defaults, a log line per request)", porthost],
  ["  its web process alone (the same log, to a file)", () => startWebAlone(dir, PAGE)],
];
// The servers take turns, round after round, and each keeps its median: a machine whose load
// drifts during the run then tilts no server more than another.
/** A wrk run and the CPU each of the server's processes spent per request, in microseconds. */
type Sample = WrkResult & { readonly cpuMicros: readonly number[] };
const samples: Sample[][] = servers.map(() => []);
for (let round = 0; round < ROUNDS; round++) {
  for (const [i, [, start]] of servers.entries()) {
    const server = await start();
    let sample: WrkResult | undefined;
    try {
      const cpuBefore = await Promise.all(server.pids.map(cpuMs));
      sample = await wrk(`http://127.0.0.1:${server.port}${PAGE}`, CONNECTIONS, SECONDS);
      const cpuAfter = await Promise.all(server.pids.map(cpuMs));
      const perRequest = cpuAfter.map((ms, p) => ((ms - cpuBefore[p]!) * 1000) / sample!.requests);
      samples[i]!.push({ ...sample, cpuMicros: perRequest });
    } finally {
      await server.stop(sample?.requests ?? 0);
    }
  }
}
const median = (list: readonly Sample[]): Sample =>
  [...list].sort((a, b) => a.rps - b.rps)[Math.floor(list.length / 2)]!;
const results = servers.map(([name], i) => ({ name, ...median(samples[i]!), all: samples[i]!.map((s) => s.rps) }));

/** The RSS of a server's first process while clients pipeline and never read. */
async function flood(server: RunningServer) {
  await headersOf(server.port, PAGE);
  try {
    return await neverRead(server.port, PAGE, server.pids[0]!, NEVER_READ_CONNECTIONS, FLOOD_SECONDS);
  } finally {
    await server.stop(0);
  }
}
const memory = await flood(await porthost());
const bareMemory = await flood(await startBareNode(path.join(SITE, PAGE), headers));

const [nginx, bare, ours] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]];
const ratio = (rps: number, of: number): string => `${(rps / of).toFixed(2)}x`;
console.log(
  `\nbench/http: GET ${PAGE} (${body.length} bytes), wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, median of ${ROUNDS} interleaved rounds, loopback\n`,
);
console.log(
  [
    "server".padEnd(52),
    "req/s".padStart(8),
    "p50".padStart(9),
    "p99".padStart(9),
    "vs nginx",
    " vs bare",
    "CPU µs/req",
    "  rounds",
  ].join(" "),
);
for (const r of results) {
  console.log(
    [
      r.name.padEnd(52),
      r.rps.toFixed(0).padStart(8),
      r.p50.padStart(9),
      r.p99.padStart(9),
      ratio(r.rps, nginx.rps).padStart(8),
      ratio(r.rps, bare.rps).padStart(8),
      r.cpuMicros
        .map((us) => us.toFixed(0))
        .join("+")
        .padStart(10),
      `  ${r.all.map((x) => x.toFixed(0)).join(" ")}`,
    ].join(" "),
  );
}
console.log(
  "CPU µs/req: user and system time of the answering processes per request wrk made (nginx: master+worker; " +
    "bare node: its process; porthost start: web+supervisor, which reads and prints every log line)",
);
const growth = memory.peakMiB - memory.baseMiB;
const verdict = (ok: boolean): string => (ok ? "met" : "MISSED");
const rssLine = (name: string, m: NeverReadResult): string =>
  `  ${name.padEnd(22)} ${m.baseMiB.toFixed(0).padStart(4)} MB -> peak ${m.peakMiB.toFixed(0).padStart(4)} MB ` +
  `(+${(m.peakMiB - m.baseMiB).toFixed(0)}), ${m.endMiB.toFixed(0)} MB at the end; it closed ${m.closedByServer} connections (each reopened at once)`;
console.log(
  `\nRSS while ${NEVER_READ_CONNECTIONS} connections pipeline GETs and never read, for ${FLOOD_SECONDS} s:\n` +
    `${rssLine("porthost's web process", memory)}\n${rssLine("bare node:http", bareMemory)}`,
);
console.log("\ntargets:");
console.log(
  `  porthost >= ${TARGETS.vsNginx}x nginx:     ${ratio(ours.rps, nginx.rps)}  ${verdict(ours.rps >= TARGETS.vsNginx * nginx.rps)}`,
);
console.log(
  `  porthost >= ${TARGETS.vsBare}x bare node: ${ratio(ours.rps, bare.rps)}  ${verdict(ours.rps >= TARGETS.vsBare * bare.rps)}`,
);
console.log(
  `  RSS growth < +${TARGETS.rssGrowthMiB} MB:     +${growth.toFixed(0)} MB  ${verdict(growth < TARGETS.rssGrowthMiB)}`,
);
const load = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(" ");
console.log(`\nload average (1, 5, 15 min): ${load(loadAtStart)} at the start, ${load(loadavg())} at the end`);
