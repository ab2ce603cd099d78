#!/usr/bin/env node
// Builds with turbo and says how it goes, one line per package as its build starts, with an
// estimate from how long the last build here took ("building 3 of 9: @porthost/web"). turbo's own
// log is kept and shown only if the build fails. Used by `npm start` (scripts/start.sh) and by the
// porthost command's first run (apps/cli/bin/porthost.js). Arguments are passed on to turbo
// (e.g. --filter=@porthost/cli...). Plain JS with no dependencies: it runs before anything is built.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../", import.meta.url));
const TURBO = `${REPO}node_modules/.bin/turbo`;
/** Where the last build's pace is kept, for the next estimate (node_modules: gone with a fresh npm ci). */
const PACE_FILE = `${REPO}node_modules/.cache/porthost/build-pace.json`;
/** Seconds one package takes when nothing was measured yet: tsc, and vite for the page, on 2 busy cores. */
const DEFAULT_SECONDS_PER_PACKAGE = 20;
/** A line saying the build is still going when no package started for this long. */
const STILL_BUILDING_MS = 30_000; // 30 s

const args = process.argv.slice(2);
const say = (line) => process.stderr.write(`porthost: ${line}\n`);

function duration(seconds) {
  const s = Math.max(1, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
}

function readPace() {
  try {
    const pace = JSON.parse(readFileSync(PACE_FILE, "utf8"));
    return typeof pace.secondsPerPackage === "number" && pace.secondsPerPackage > 0
      ? pace.secondsPerPackage
      : undefined;
  } catch {
    return undefined;
  }
}

function writePace(secondsPerPackage) {
  try {
    mkdirSync(path.dirname(PACE_FILE), { recursive: true });
    writeFileSync(PACE_FILE, `${JSON.stringify({ secondsPerPackage })}\n`);
  } catch {
    // Only an estimate is lost.
  }
}

/** The packages whose build would run, from turbo's dry run: names, and which need building. */
function plannedTasks() {
  const dry = spawnSync(TURBO, ["run", "build", "--dry=json", ...args], { cwd: REPO, encoding: "utf8" });
  if (dry.status !== 0) return undefined;
  try {
    return JSON.parse(dry.stdout)
      .tasks.filter((t) => t.command !== "<NONEXISTENT>")
      .map((t) => ({ name: t.package, stale: t.cache?.status !== "HIT" }));
  } catch {
    return undefined;
  }
}

const tasks = plannedTasks() ?? [];
const stale = tasks.filter((t) => t.stale).length;
const measured = readPace();
const perPackage = measured ?? DEFAULT_SECONDS_PER_PACKAGE;
if (tasks.length > 0 && stale === 0) {
  // turbo restores what is missing from its cache in a moment, without building.
  say(
    `building: ${tasks.length === 1 ? "the package is" : `all ${tasks.length} packages are`} built or in turbo's cache`,
  );
} else if (tasks.length > 0) {
  const basis = measured === undefined ? "a first build on a 2-core machine" : "the last build here";
  say(
    `building ${stale} of ${tasks.length} packages (${tasks.length - stale} up to date); ` +
      `about ${duration(stale * perPackage)}, judging by ${basis}...`,
  );
} else {
  say("building...");
}

const started = Date.now();
const log = [];
const turbo = spawn(TURBO, ["run", "build", "--output-logs=new-only", ...args], {
  cwd: REPO,
  stdio: ["ignore", "pipe", "pipe"],
});
let begun = 0;
let latest = "";
let lastNews = Date.now();
let pending = "";
const seen = new Set();
const still = setInterval(() => {
  if (Date.now() - lastNews < STILL_BUILDING_MS) return;
  lastNews = Date.now();
  say(`still building${latest ? ` ${latest}` : ""} (${duration((Date.now() - started) / 1000)} so far)...`);
}, 1_000);

function onLine(line) {
  log.push(line);
  // turbo prefixes a task's lines with its name and starts each with a cache line.
  const match = /^(\S+):build: cache (miss|bypass)/.exec(line);
  if (!match || seen.has(match[1])) return;
  seen.add(match[1]);
  latest = match[1];
  begun += 1;
  lastNews = Date.now();
  const of = stale > 0 ? ` of ${Math.max(stale, begun)}` : "";
  say(`building ${begun}${of}: ${match[1]} (${duration((Date.now() - started) / 1000)} so far)`);
}

for (const stream of [turbo.stdout, turbo.stderr]) {
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => {
    const lines = (pending + chunk).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  });
}

// Ctrl-C, SIGTERM or a hang-up stop turbo with us.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    turbo.kill("SIGTERM");
    process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal] ?? 0));
  });
}

turbo.on("error", (error) => {
  clearInterval(still);
  say(`the build could not start: ${error.message}`);
  process.exit(1);
});

turbo.on("close", (code) => {
  clearInterval(still);
  if (pending) onLine(pending);
  const seconds = (Date.now() - started) / 1000;
  if (code !== 0) {
    process.stderr.write(`${log.join("\n")}\n`);
    say(`the build failed after ${duration(seconds)} (turbo's log above)`);
    process.exit(1);
  }
  if (begun > 0) {
    writePace(seconds / begun);
    say(`built ${begun} package${begun === 1 ? "" : "s"} in ${duration(seconds)}`);
  }
  process.exit(0);
});
