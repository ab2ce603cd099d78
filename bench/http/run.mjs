#!/usr/bin/env node
// bench/http: wrk against porthost's web service, nginx (one worker, sendfile) and a bare node:http
// server returning the same bytes from memory, in one run, on loopback. Prints req/s and ratios.
// Usage: npm run bench:http [-- --seconds 10 --connections 50]
import { execFile, spawn } from "node:child_process";
import { openSync, closeSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../..", import.meta.url));
// The built site the web service serves by default (npm run bench:http builds it first).
const publicDir = path.join(repo, "apps/web/dist/site");
// A small teaching page (2-3 KB), the size the HTTP issue sets its targets for.
const FILE = "/ports.html";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    connections: { type: "string", default: "50" },
    rounds: { type: "string", default: "3" },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const connections = Number(values.connections);

function need(tool) {
  return run("sh", ["-c", `command -v ${tool}`]).catch(() => {
    throw new Error(`bench:http needs ${tool}: apt-get install -y ${tool === "nginx" ? "nginx-light" : tool}`);
  });
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => (s.destroy(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing came up on port ${port}`);
}

async function wrk(port) {
  const url = `http://127.0.0.1:${port}${FILE}`;
  const warmUp = await run("wrk", ["-t1", "-c10", "-d2s", url]); // warm-up: JIT, caches
  const { stdout } = await run("wrk", ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", url]);
  const requests = [warmUp.stdout, stdout].reduce((sum, out) => sum + Number(/(\d+) requests in/.exec(out)?.[1]), 0);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const p50 = /50%\s+([\d.]+\w+)/.exec(stdout)?.[1] ?? "?";
  const p99 = /99%\s+([\d.]+\w+)/.exec(stdout)?.[1] ?? "?";
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? "0";
  if (errors !== "0") throw new Error(`${url} answered ${errors} errors:\n${stdout}`);
  return { rps, p50, p99, requests };
}

/** Waits for a child to exit after a signal, so the next server never runs beside a stopping one. */
function stopChild(child, signal) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

let logs = 0;
// Its log goes to a file, as nginx's access log does (not /dev/null), and is counted after it stops:
// a line for every request wrk made, or the run is not the default porthost.
async function startPorthost(logLevel, dir) {
  const port = await freePort();
  const logFile = path.join(dir, `porthost-${logLevel}-${++logs}.log`);
  const out = openSync(logFile, "w");
  const child = spawn(process.execPath, [path.join(repo, "apps/web/dist/main.js")], {
    env: { ...process.env, PORTHOST_HTTP_PORT: String(port), PORTHOST_LOG_LEVEL: logLevel },
    stdio: ["ignore", out, "inherit"],
  });
  closeSync(out);
  await waitForPort(port);
  return {
    port,
    async stop(requests) {
      await stopChild(child, "SIGTERM");
      if (logLevel !== "info") return;
      const text = await readFile(logFile, "utf8");
      const lines = text.split("\n").filter((line) => line.includes('"msg":"request"')).length;
      if (lines < requests) throw new Error(`porthost logged ${lines} request lines for ${requests} requests`);
    },
  };
}

/** The headers porthost answers FILE with (as wrk asks: no Accept-Encoding), less node's own. */
async function porthostHeaders(dir) {
  const server = await startPorthost("warn", dir);
  try {
    return await new Promise((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port: server.port, path: FILE, agent: false }, (res) => {
          res.resume();
          const { date: _date, connection: _connection, "keep-alive": _keepAlive, ...headers } = res.headers;
          resolve(headers);
        })
        .on("error", reject);
    });
  } finally {
    await server.stop(1);
  }
}

/** A bare node:http server answering every request with `body` and these headers. */
async function startBareNode(body, headers) {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, headers);
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    stop: () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))),
  };
}

async function startNginx(dir) {
  const port = await freePort();
  const conf = path.join(dir, "nginx.conf");
  await writeFile(
    conf,
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  access_log ${dir}/access.log;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path ${dir};
  server { listen 127.0.0.1:${port}; root ${publicDir}; }
}
`,
  );
  const child = spawn("nginx", ["-c", conf, "-p", dir], { stdio: ["ignore", "ignore", "inherit"] });
  await waitForPort(port);
  return { port, stop: () => stopChild(child, "SIGQUIT") };
}

await need("wrk");
await need("nginx");
const body = await readFile(path.join(publicDir, FILE));
const dir = await mkdtemp(path.join(tmpdir(), "porthost-bench-http-"));
// A second bare server sends porthost's very headers (validators, caching, nosniff, vary): node
// checks every header it writes, so this row tells that cost from porthost's own work.
const sameHeaders = await porthostHeaders(dir);
// The servers take turns, round after round, and each keeps its median: a machine whose load
// drifts during the run then tilts no server more than another.
const servers = [
  ["nginx (1 worker, sendfile, access log)", () => startNginx(dir)],
  [
    "bare node:http (bytes in memory)",
    () => startBareNode(body, { "content-type": "text/html; charset=utf-8", "content-length": body.length }),
  ],
  [`bare node:http (porthost's ${Object.keys(sameHeaders).length} headers)`, () => startBareNode(body, sameHeaders)],
  ["porthost web (default: a log line per request)", () => startPorthost("info", dir)],
  ["porthost web (PORTHOST_LOG_LEVEL=warn)", () => startPorthost("warn", dir)],
];
const loadAtStart = loadavg();
const samples = servers.map(() => []);
for (let round = 0; round < rounds; round++) {
  for (const [i, [, start]] of servers.entries()) {
    const server = await start();
    let sample;
    try {
      sample = await wrk(server.port);
      samples[i].push(sample);
    } finally {
      await server.stop(sample?.requests ?? 0);
    }
  }
}
const median = (list) => [...list].sort((a, b) => a.rps - b.rps)[Math.floor(list.length / 2)];
const results = servers.map(([name], i) => ({
  name,
  ...median(samples[i]),
  all: samples[i].map((s) => s.rps.toFixed(0)).join(" "),
}));
await rm(dir, { recursive: true, force: true });

const nginx = results[0].rps;
const bare = results[1].rps;
console.log(
  `\nbench/http: GET ${FILE} (${body.length} bytes), wrk -t1 -c${connections} -d${seconds}s, median of ${rounds} interleaved rounds, loopback\n`,
);
console.log(
  "server".padEnd(48),
  "req/s".padStart(9),
  "p50".padStart(9),
  "p99".padStart(9),
  "vs nginx".padStart(9),
  "vs bare".padStart(8),
  "  rounds",
);
for (const r of results) {
  console.log(
    r.name.padEnd(48),
    r.rps.toFixed(0).padStart(9),
    r.p50.padStart(9),
    r.p99.padStart(9),
    `${(r.rps / nginx).toFixed(2)}x`.padStart(9),
    `${(r.rps / bare).toFixed(2)}x`.padStart(8),
    `  ${r.all}`,
  );
}
const load = (l) => l.map((x) => x.toFixed(2)).join(" ");
console.log(`\nload average (1, 5, 15 min): ${load(loadAtStart)} at the start, ${load(loadavg())} at the end`);
const sameBare = results[2].rps;
console.log(
  `porthost (default) vs the bare server sending porthost's headers: ${(results[3].rps / sameBare).toFixed(2)}x; ` +
    `those headers alone cost the bare server ${((1 - sameBare / bare) * 100).toFixed(0)}% of its rate`,
);
console.log("targets: porthost >= 0.6x nginx and >= 0.8x bare node (the first bare row)");
