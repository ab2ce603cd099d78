import { readdir } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import nodemailer from "nodemailer";
import { maildirRoot, MailStore, pruneMargin, SUMMARY_FILE } from "@porthost/mailstore";
import { MAIL_DEFAULTS } from "@porthost/ports";
import { buildFileCeiling, fileCeiling, type FileCeiling } from "./file-ceiling.js";
import { fixed, p50, timeSerial } from "./measure.js";
import { nodeFilesUnsynced } from "./node-files.js";
import { smtpSource, type SourceRun } from "./smtp-source.js";
import { storeAlone } from "./store-alone.js";
import { removeScratch, scratchDir } from "./scratch.js";
import { rssMiB, startBare, startMaildev, startPorthost, type RunningTarget, type TargetName } from "./targets.js";

/** PORTHOST_MAIL_MAX's default: what a user gets. */
const MAIL_MAX = MAIL_DEFAULTS.maxMessages;
/** Messages sent before each measured run: past the limit and its margin, so pruning is under way. */
const PREFILL = MAIL_MAX + pruneMargin(MAIL_MAX) + 100;
/** The tuned row's PORTHOST_MAIL_MAX: far enough that nothing is pruned. */
const TUNED_MAIL_MAX = 1_000_000;

const USAGE = `Usage: npm run bench:smtp -- [options]

Drives postfix's smtp-source (2 KB messages) against porthost as \`npm start\` runs it (the
supervisor and every service, connection events on, the default log level and settings, so
PORTHOST_MAIL_MAX is 5000), first filled with ${PREFILL} messages so that every run is in the
steady state past the retention limit; against the same with one tuned setting
(PORTHOST_MAIL_MAX=${TUNED_MAIL_MAX}: retention out of the way), MailDev (filled alike) and a
bare discarding smtp-server, one after another in the same run; times porthost's store alone
(the same deliveries, durable, with no SMTP), the filesystem alone (a C program creating and
renaming one file per message, durable and not: the ceiling the disk sets for any mail catcher
that stores a file per message) and Node.js's fs doing the same with nothing synced; then
measures porthost with many messages stored. Needs smtp-source (postfix) on PATH.

Other work on the machine skews every figure: compare the peers of one run, and mind the load
average it prints. So does deleting many files shortly before: on ext4 without a journal, new
files are slower to create for minutes after (the benchmark removes its own only at the end).

Options:
  --messages <n>  messages per reused-connection run; half as many per
                  connection-per-message run (default 20000)
  --stored <n>    messages stored for the RSS and list figures (default 100000)
  --samples <n>   samples per latency figure (default 200)
  --ingest-only   only the ingest runs and the store alone (the issue's ingest targets)
  -h, --help      print this and exit
`;

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "20000" },
    stored: { type: "string", default: "100000" },
    samples: { type: "string", default: "200" },
    "ingest-only": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

function count(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`--${name} must be a positive whole number, not ${JSON.stringify(text)}\n\n${USAGE}`);
    process.exit(2);
  }
  return value;
}
const MESSAGES = count("messages", values.messages);
const STORED = count("stored", values.stored);
const SAMPLES = count("samples", values.samples);
const PER_CONNECTION_MESSAGES = Math.max(1, Math.floor(MESSAGES / 2));

/** Issue 21's targets, at the defaults: ingest vs MailDev and vs porthost's own store alone, sendMail vs bare. */
const TARGETS = {
  ingestVsMaildev: 1.4,
  ingestVsStoreAlone: 0.8,
  sendMailVsBare: 1.1,
  rssMiB: 150,
  listP50Ms: 20,
} as const;

const RUNS: readonly (SourceRun & { label: string })[] = [
  { label: "10 sessions, connections reused", sessions: 10, reuse: true, messages: MESSAGES },
  { label: "100 sessions, one connection per message", sessions: 100, reuse: false, messages: PER_CONNECTION_MESSAGES },
];

/** porthost's rows: as users run it, and with one setting tuned (labelled so). */
const DEFAULTS = "porthost (defaults)";
const TUNED = `porthost, tuned: PORTHOST_MAIL_MAX=${TUNED_MAIL_MAX}`;
type Peer = typeof DEFAULTS | typeof TUNED | Exclude<TargetName, "porthost">;

async function countFiles(dir: string, suffix = ""): Promise<number> {
  return (await readdir(dir)).filter((name) => name.endsWith(suffix)).length;
}

type Start = () => Promise<{
  target: RunningTarget;
  stored: () => Promise<number | undefined>;
  /** Messages sent before the measured run (the steady state past the retention limit). */
  prefilled: number;
}>;

/** Fills a server with PREFILL messages before it is measured. */
async function prefill(target: RunningTarget): Promise<number> {
  await smtpSource(target.port, { sessions: 10, reuse: true, messages: PREFILL });
  return PREFILL;
}

const starts: Record<Peer, Start> = {
  [DEFAULTS]: async () => {
    const dir = await scratchDir("porthost-bench-");
    const target = await startPorthost({ dataDir: dir });
    return { target, stored: () => countFiles(`${maildirRoot(dir)}/new`), prefilled: await prefill(target) };
  },
  [TUNED]: async () => {
    const dir = await scratchDir("porthost-bench-tuned-");
    const target = await startPorthost({ dataDir: dir, mailMax: TUNED_MAIL_MAX });
    return { target, stored: () => countFiles(`${maildirRoot(dir)}/new`), prefilled: await prefill(target) };
  },
  maildev: async () => {
    const dir = await scratchDir("maildev-bench-");
    const target = await startMaildev(dir);
    return { target, stored: () => countFiles(dir, ".eml"), prefilled: await prefill(target) };
  },
  "bare smtp-server": async () => {
    const target = await startBare();
    return { target, stored: async () => undefined, prefilled: 0 };
  },
};

function line(text = ""): void {
  process.stdout.write(`${text}\n`);
}

async function ingest(): Promise<Map<string, Map<Peer, number>>> {
  const results = new Map<string, Map<Peer, number>>();
  for (const run of RUNS) {
    const row = new Map<Peer, number>();
    for (const name of Object.keys(starts) as Peer[]) {
      const { target, stored, prefilled } = await starts[name]();
      try {
        const rate = await smtpSource(target.port, run);
        const count = await stored();
        // At the defaults retention keeps the limit, within its margin and what was in flight.
        const expected = name === DEFAULTS ? MAIL_MAX + pruneMargin(MAIL_MAX) + run.sessions : prefilled + run.messages;
        if (count !== undefined && (name === DEFAULTS ? count > expected || count < MAIL_MAX : count !== expected)) {
          throw new Error(`${name} stored ${count} files after ${prefilled + run.messages} messages`);
        }
        row.set(name, rate);
        line(`  ${run.label}: ${name} ${fixed(rate)} msgs/s${count === undefined ? "" : ` (${count} files on disk)`}`);
      } finally {
        await target.stop();
      }
    }
    results.set(run.label, row);
  }
  return results;
}

async function serialSendMail(port: number): Promise<number> {
  // Not pooled: nodemailer opens a new connection for every message, as an app does by default.
  const transport = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true });
  const times = await timeSerial(SAMPLES, (i) =>
    transport.sendMail({ from: "app@example.test", to: "dev@example.test", subject: `serial ${i}`, text: "hello" }),
  );
  transport.close();
  return p50(times);
}

async function sendMailLatency(): Promise<Map<string, number>> {
  const results = new Map<string, number>();
  const cases: [string, Start][] = [
    [DEFAULTS, starts[DEFAULTS]],
    [
      "porthost, tuned: PORTHOST_SMTP_GREETING_DELAY_MS=100",
      async () => {
        const target = await startPorthost({ dataDir: await scratchDir("porthost-bench-"), greetingDelayMs: 100 });
        return { target, stored: async () => undefined, prefilled: 0 };
      },
    ],
    ["maildev", starts.maildev],
    ["bare smtp-server", starts["bare smtp-server"]],
  ];
  for (const [label, start] of cases) {
    const { target } = await start();
    try {
      const ms = await serialSendMail(target.port);
      results.set(label, ms);
      line(`  serial sendMail p50, ${label}: ${fixed(ms, 2)} ms`);
    } finally {
      await target.stop();
    }
  }
  return results;
}

interface StoredResults {
  readonly fillRate: number;
  readonly rssAfterFill: number;
  readonly restartMs: number;
  readonly rssAfterRestart: number;
  readonly openMs: number;
  readonly firstListMs: number;
  readonly listP50: number;
  readonly secondPageP50: number;
  readonly firstSearchMs: number;
  readonly searchP50: number;
  readonly getP50: number;
}

async function atScale(): Promise<StoredResults> {
  // Tuned so that STORED messages stay: at the defaults only 5000 would.
  const dir = await scratchDir("porthost-bench-stored-");
  const keepAll = { dataDir: dir, mailMax: Math.max(TUNED_MAIL_MAX, STORED * 2) };
  let target = await startPorthost(keepAll);
  const fillRate = await smtpSource(target.port, { sessions: 10, reuse: true, messages: STORED });
  const rssAfterFill = await rssMiB(target.pid);
  line(`  filled ${STORED} messages at ${fixed(fillRate)} msgs/s; SMTP RSS ${fixed(rssAfterFill, 1)} MiB`);
  await target.stop();
  target = await startPorthost(keepAll);
  await smtpSource(target.port, { sessions: 1, reuse: true, messages: 10 });
  const rssAfterRestart = await rssMiB(target.pid);
  line(
    `  restarted with ${STORED + 10} stored in ${fixed(target.startMs)} ms; SMTP RSS ${fixed(rssAfterRestart, 1)} MiB`,
  );

  let started = performance.now();
  const store = await MailStore.open(maildirRoot(dir));
  const openMs = performance.now() - started;
  started = performance.now();
  const first = await store.list();
  const firstListMs = performance.now() - started;
  const listP50 = p50(await timeSerial(SAMPLES, () => store.list()));
  const secondPageP50 = p50(await timeSerial(SAMPLES, () => store.list({ cursor: first.nextCursor ?? "" })));
  started = performance.now();
  await store.list({ query: "nobody-matches-this" });
  const firstSearchMs = performance.now() - started;
  const searchP50 = p50(await timeSerial(SAMPLES, () => store.list({ query: "sink@" })));
  const ids = first.messages.map((m) => m.id);
  const getP50 = p50(await timeSerial(SAMPLES, (i) => store.get(ids[i % ids.length] ?? "")));
  line(
    `  reader: open ${fixed(openMs)} ms, first list ${fixed(firstListMs, 1)} ms, list p50 ${fixed(listP50, 2)} ms, ` +
      `page 2 p50 ${fixed(secondPageP50, 2)} ms, first search ${fixed(firstSearchMs)} ms, search p50 ${fixed(searchP50, 2)} ms, get p50 ${fixed(getP50, 2)} ms`,
  );
  await store.close();
  // A new reader (the web service after a restart) searches from the summary file the first one left.
  started = performance.now();
  const reopened = await MailStore.open(maildirRoot(dir));
  await reopened.list({ query: "nobody-matches-this-either" });
  const searchAfterRestartMs = performance.now() - started;
  await reopened.close();
  line(`  a new reader's first search (open included, from ${SUMMARY_FILE}): ${fixed(searchAfterRestartMs)} ms`);
  await target.stop();
  return {
    fillRate,
    rssAfterFill,
    restartMs: target.startMs,
    rssAfterRestart,
    openMs,
    firstListMs,
    listP50,
    secondPageP50,
    firstSearchMs,
    searchP50,
    getP50,
  };
}

/** The 1, 5 and 15 minute load averages, and the cores they are shared by. */
function loadAverage(): string {
  const [one, five, fifteen] = loadavg().map((value) => value.toFixed(2));
  return `load average ${one} ${five} ${fifteen} (${cpus().length} cores)`;
}

function verdict(ok: boolean): string {
  return ok ? "met" : "NOT met";
}

line(
  `porthost SMTP benchmark: smtp-source 2 KB messages, ${MESSAGES} per reused-connection run, ${PER_CONNECTION_MESSAGES} per`,
);
line(`connection-per-message run; ${STORED} stored for the scale figures; ${SAMPLES} samples per latency.`);
line(`At the start: ${loadAverage()}.`);
line();
let ingestResults: Map<string, Map<Peer, number>>;
const storeRates = new Map<string, number>();
const ceilings = new Map<string, FileCeiling>();
const nodeRates = new Map<string, number>();
let latency: Map<string, number> | undefined;
let scale: StoredResults | undefined;
try {
  line("Ingest (postfix smtp-source):");
  ingestResults = await ingest();
  line();
  line(
    `porthost's store alone (deliver() in-process, no SMTP; PORTHOST_MAIL_MAX's default, filled with ${PREFILL} first): the ceiling the disk sets`,
  );
  for (const run of RUNS) {
    const concurrency = Math.min(run.sessions, 100);
    const rate = await storeAlone(run.messages, concurrency, { maxMessages: MAIL_MAX, prefill: PREFILL });
    storeRates.set(run.label, rate);
    line(`  ${concurrency} concurrent deliveries: ${fixed(rate)} msgs/s`);
  }
  if (!values["ingest-only"]) await theRest();
} finally {
  await removeScratch();
}

/** Everything after the ingest runs and the store alone: the disk's ceilings, latency, scale. */
async function theRest(): Promise<void> {
  line();
  line("The filesystem alone (file-ceiling.c: 2 KB created in tmp/, renamed into new/; no Node.js, no SMTP)");
  const ceilingProbe = await buildFileCeiling();
  for (const run of RUNS) {
    if (!ceilingProbe.probe) break;
    const threads = Math.min(run.sessions, 100);
    const ceiling = await fileCeiling(ceilingProbe.probe, threads, run.messages);
    ceilings.set(run.label, ceiling);
    line(
      `  ${threads} threads: ${fixed(ceiling.durable)} files/s durable, one by one; ${fixed(ceiling.unsynced)} files/s with no sync`,
    );
  }
  if (ceilingProbe.why) line(`  skipped: ${ceilingProbe.why}`);
  line();
  line(
    "Node.js alone, nothing synced (fs.writeFile of 2 KB into tmp/, rename into new/): what an undurable catcher pays",
  );
  for (const run of RUNS) {
    const concurrency = Math.min(run.sessions, 100);
    const rate = await nodeFilesUnsynced(run.messages, concurrency);
    nodeRates.set(run.label, rate);
    line(`  ${concurrency} concurrent: ${fixed(rate)} files/s`);
  }
  line();
  line("Latency:");
  latency = await sendMailLatency();
  line();
  line(`At ${STORED} messages:`);
  scale = await atScale();
}

line();
line(`At the end: ${loadAverage()}. Other programs on the machine slow every server; compare peers of one run.`);
line();
line(
  `| run | ${DEFAULTS} msgs/s | ${TUNED} msgs/s | MailDev msgs/s | bare smtp-server msgs/s | defaults / MailDev | tuned / MailDev | store alone msgs/s | defaults / store alone | files alone, durable (C) | files alone, no sync (C) / bare | Node.js files alone, no sync |`,
);
line("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
const ratios: { label: string; vsMaildev: number; vsStore: number }[] = [];
for (const [label, row] of ingestResults) {
  const ours = row.get(DEFAULTS) ?? NaN;
  const tuned = row.get(TUNED) ?? NaN;
  const maildev = row.get("maildev") ?? NaN;
  const bare = row.get("bare smtp-server") ?? NaN;
  const store = storeRates.get(label) ?? NaN;
  ratios.push({ label, vsMaildev: ours / maildev, vsStore: ours / store });
  const files = ceilings.get(label);
  line(
    `| ${label} | ${fixed(ours)} | ${fixed(tuned)} | ${fixed(maildev)} | ${fixed(bare)} | ${fixed(ours / maildev, 2)}x | ${fixed(tuned / maildev, 2)}x | ${fixed(store)} | ${fixed(ours / store, 2)}x | ${files ? fixed(files.durable) : "-"} | ${files ? `${fixed(files.unsynced / bare, 2)}x` : "-"} | ${fixed(nodeRates.get(label) ?? NaN)} |`,
  );
}
line();
line("| measure (porthost at its defaults) | value | target | |");
line("|---|---:|---:|---|");
for (const r of ratios) {
  line(
    `| durable ingest vs MailDev, ${r.label} | ${fixed(r.vsMaildev, 2)}x | >= ${TARGETS.ingestVsMaildev}x | ${verdict(r.vsMaildev >= TARGETS.ingestVsMaildev)} |`,
  );
}
const first = ratios[0];
if (first) {
  line(
    `| ingest vs its own store alone, ${first.label} | ${fixed(first.vsStore, 2)}x | >= ${TARGETS.ingestVsStoreAlone}x | ${verdict(first.vsStore >= TARGETS.ingestVsStoreAlone)} |`,
  );
}
if (scale) {
  line(
    `| SMTP RSS, ${STORED} stored (after filling) | ${fixed(scale.rssAfterFill, 1)} MiB | < ${TARGETS.rssMiB} MiB | ${verdict(scale.rssAfterFill < TARGETS.rssMiB)} |`,
  );
  line(
    `| SMTP RSS, ${STORED} stored (after a restart) | ${fixed(scale.rssAfterRestart, 1)} MiB | < ${TARGETS.rssMiB} MiB | ${verdict(scale.rssAfterRestart < TARGETS.rssMiB)} |`,
  );
  line(
    `| list p50 at ${STORED} (first page, 50) | ${fixed(scale.listP50, 2)} ms | < ${TARGETS.listP50Ms} ms | ${verdict(scale.listP50 < TARGETS.listP50Ms)} |`,
  );
}
const bareSendMail = latency?.get("bare smtp-server") ?? NaN;
for (const [label, ms] of latency ?? []) {
  const isOurs = label === DEFAULTS;
  line(
    `| serial sendMail p50, ${label} | ${fixed(ms, 2)} ms (${fixed(ms / bareSendMail, 2)}x bare) | ${isOurs ? `<= ${TARGETS.sendMailVsBare}x bare` : "-"} | ${isOurs ? verdict(ms <= TARGETS.sendMailVsBare * bareSendMail) : ""} |`,
  );
}
