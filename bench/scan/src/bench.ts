import { execFile, execFileSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseArgs } from "node:util";

const USAGE = `Usage: npm run bench:scan -- [options]

A full-range TCP connect scan of 127.0.0.1 (ports 1-65535), by \`porthost scan 127.0.0.1 --ports -\`
run as users run it (a fresh \`porthost\` process: node's start-up counts) and by
\`nmap -sT -T4 -p- -n -Pn 127.0.0.1\`, taking turns round after round; prints each round's wall
time, the medians, porthost's time as a ratio of nmap's (the target: no slower, <= 1.00x), the
open ports each found and the load average. Needs nmap (Debian: apt-get install nmap). Other
work on the machine skews every figure: compare the rows of one run.

Options:
  --rounds <n>  rounds (default 3)
  -h, --help    print this and exit
`;

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const ROUNDS = Number(values.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1)
  throw new Error(`--rounds must be a whole number from 1, not ${values.rounds}`);
const TARGET_RATIO = 1; // porthost's time over nmap's
const BIN = fileURLToPath(import.meta.resolve("@porthost/cli/bin"));
const run = promisify(execFile);

function nmapPath(): string {
  try {
    return execFileSync("sh", ["-c", "command -v nmap"], { encoding: "utf8" }).trim();
  } catch {
    process.stderr.write("bench:scan needs nmap: apt-get install -y nmap\n");
    process.exit(2);
  }
}
const NMAP = nmapPath();

interface Scan {
  readonly seconds: number;
  readonly open: readonly number[];
}

async function timed(scan: () => Promise<readonly number[]>): Promise<Scan> {
  const started = performance.now();
  const open = await scan();
  return { seconds: (performance.now() - started) / 1000, open };
}

const porthost = (): Promise<Scan> =>
  timed(async () => {
    const { stdout } = await run(process.execPath, [BIN, "scan", "127.0.0.1", "--ports", "-", "--json"], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return (JSON.parse(stdout) as { open: { port: number }[] }).open.map((p) => p.port);
  });

const nmap = (): Promise<Scan> =>
  timed(async () => {
    const { stdout } = await run(NMAP, ["-sT", "-T4", "-p-", "-n", "-Pn", "127.0.0.1", "-oG", "-"]);
    const ports = /Ports: (.*?)(\t|$)/m.exec(stdout)?.[1] ?? "";
    return ports
      .split(", ")
      .filter((entry) => entry.split("/")[1] === "open")
      .map((entry) => Number(entry.split("/")[0]));
  });

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = (): string =>
  `${loadavg()
    .map((v) => v.toFixed(2))
    .join(" ")} (${cpus().length} cores)`;

console.log(`bench:scan: ${ROUNDS} round(s) of a full-range connect scan of 127.0.0.1; load average ${load()}`);
await porthost(); // warm-up (not counted): the file cache, and the build check of the porthost command
const times = { porthost: [] as number[], nmap: [] as number[] };
for (let round = 1; round <= ROUNDS; round++) {
  // Alternate who goes first, so neither always meets the other's leftovers (TIME_WAIT, conntrack).
  const order = round % 2 === 1 ? ([porthost, nmap] as const) : ([nmap, porthost] as const);
  const results = [];
  for (const scan of order) results.push(await scan());
  const [ours, theirs] = round % 2 === 1 ? results : [results[1]!, results[0]!];
  times.porthost.push(ours!.seconds);
  times.nmap.push(theirs!.seconds);
  const differ = [...ours!.open, ...theirs!.open].filter((p) => ours!.open.includes(p) !== theirs!.open.includes(p));
  console.log(
    `round ${round}: porthost ${ours!.seconds.toFixed(2)} s, nmap ${theirs!.seconds.toFixed(2)} s, ` +
      `ratio ${(ours!.seconds / theirs!.seconds).toFixed(2)}x; open: porthost ${ours!.open.length}, nmap ${theirs!.open.length}` +
      (differ.length > 0
        ? ` (differ on ${differ.join(", ")}: a listener came or went between the scans?)`
        : ", the same"),
  );
}
const ratio = median(times.porthost) / median(times.nmap);
console.log(
  [
    "",
    "| full-range TCP connect scan of 127.0.0.1 | median | rounds |",
    "|---|---:|---|",
    `| porthost scan 127.0.0.1 --ports - | ${median(times.porthost).toFixed(2)} s | ${times.porthost.map((t) => t.toFixed(2)).join(", ")} |`,
    `| nmap -sT -T4 -p- | ${median(times.nmap).toFixed(2)} s | ${times.nmap.map((t) => t.toFixed(2)).join(", ")} |`,
    "",
    `porthost / nmap: ${ratio.toFixed(2)}x (target <= ${TARGET_RATIO.toFixed(2)}x: ${ratio <= TARGET_RATIO ? "held" : "missed"})`,
    `load average at the end: ${load()}`,
  ].join("\n"),
);
