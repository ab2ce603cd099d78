// bench/echo: porthost's echo against a bare node pipe and socat, in one run, on loopback.
// Usage: npm run bench:echo [-- --quick]
import { execFileSync, fork, spawn } from "node:child_process";
import dgram from "node:dgram";
import { readdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import net from "node:net";
import { fileURLToPath } from "node:url";

const QUICK = process.argv.includes("--quick");
const STREAM_BYTES = (QUICK ? 128 : 512) * 1024 * 1024; // per round, each way
const STREAM_CHUNK_BYTES = 64 * 1024;
const ROUNDS = QUICK ? 1 : 5; // servers take turns each round; the median round counts
const PING_WARMUP = 2_000; // round trips before measuring
const PING_COUNT = QUICK ? 5_000 : 20_000; // round trips measured
const PING_BYTES = 32;
const UDP_WINDOW = 32; // datagrams in flight
const UDP_SECONDS = QUICK ? 1 : 3;
const UDP_BYTES = 64;
const UDP_STALL_MS = 50; // no reply for this long: assume loss and refill the window
const READY_TIMEOUT_MS = 10_000; // 10 s
const MEASURE_TIMEOUT_MS = 120_000; // 2 min: a stuck measurement fails loudly instead of hanging
const STREAM_STALL_MS = 5_000; // no echoed byte for this long: the server is stuck (socat's PIPE can be)

const CLOCK_TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** utime, stime, cutime, cstime of a process, in clock ticks (proc(5)); undefined when it is gone. */
function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return {
      pgrp: Number(fields[2]),
      own: Number(fields[11]) + Number(fields[12]),
      children: Number(fields[13]) + Number(fields[14]),
    };
  } catch {
    return undefined;
  }
}

/**
 * CPU milliseconds a server has used so far: the process, or for socat its whole process group
 * (the children it forks per connection, alive or already reaped). Unlike wall time, this does
 * not grow when other programs on the machine take the cores.
 */
function serverCpuMs(server) {
  const leader = processTicks(server.pid);
  if (!leader) return Number.NaN;
  let ticks = leader.own + (server.group ? leader.children : 0);
  if (server.group) {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry) || Number(entry) === server.pid) continue;
      const member = processTicks(entry);
      if (member?.pgrp === server.pid) ticks += member.own;
    }
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ECHO_MAIN = `${ROOT}apps/echo/dist/main.js`;
const children = [];

function tool(name) {
  try {
    return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
  } catch {
    throw new Error(`bench:echo needs ${name}: apt-get install -y ${name}`);
  }
}

async function freePort() {
  for (;;) {
    const server = net.createServer();
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address();
    await new Promise((resolve) => server.close(resolve));
    const udp = dgram.createSocket("udp4");
    const free = await new Promise((resolve) => {
      udp.once("error", () => resolve(false));
      udp.bind(port, "127.0.0.1", () => resolve(true));
    });
    await new Promise((resolve) => udp.close(resolve));
    if (free) return port;
  }
}

function readyMessage(child, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} was not ready in time`)), READY_TIMEOUT_MS);
    child.once("message", (message) => {
      clearTimeout(timer);
      resolve(message);
    });
    child.once("exit", (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

async function waitForTcp(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing listens on ${port}`);
}

async function startServers() {
  const [porthostPort, porthostDiscard, barePort, bareUdp, socatPort, socatUdp] = await Promise.all(
    Array.from({ length: 6 }, freePort),
  );
  const porthost = fork(ECHO_MAIN, [], {
    env: {
      ...process.env,
      PORTHOST_HOST: "127.0.0.1",
      PORTHOST_ECHO_PORT: String(porthostPort),
      PORTHOST_DISCARD_PORT: String(porthostDiscard),
      PORTHOST_LOG_LEVEL: "warn",
      // Every datagram comes from 127.0.0.1: the per-source limit would measure itself, not the socket.
      PORTHOST_ECHO_UDP_RATE: "10000000",
      PORTHOST_ECHO_UDP_BURST: "10000000",
      PORTHOST_EVENTS_TOKEN: "",
    },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  children.push(porthost);
  const bare = fork(fileURLToPath(new URL("bare-servers.mjs", import.meta.url)), [barePort, bareUdp], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  children.push(bare);
  const socat = tool("socat");
  // Own process groups, so that stopping them also stops the children socat forks per connection.
  const socatTcp = spawn(socat, [`TCP-LISTEN:${socatPort},bind=127.0.0.1,fork,reuseaddr`, "PIPE"], {
    stdio: "ignore",
    detached: true,
  });
  const socatDgram = spawn(socat, [`UDP-RECVFROM:${socatUdp},bind=127.0.0.1,fork`, "PIPE"], {
    stdio: "ignore",
    detached: true,
  });
  children.push(socatTcp, socatDgram);
  const ready = await readyMessage(porthost, "porthost echo");
  if (ready.type !== "ready") throw new Error(`porthost echo: ${ready.message}`);
  await readyMessage(bare, "bare node echo");
  await waitForTcp(socatPort);
  await new Promise((r) => setTimeout(r, 100)); // socat's UDP side binds alongside its TCP side
  return [
    {
      name: "porthost",
      tcp: porthostPort,
      udp: porthostPort,
      cpu: { pid: porthost.pid },
      udpCpu: { pid: porthost.pid },
    },
    { name: "bare node", tcp: barePort, udp: bareUdp, cpu: { pid: bare.pid }, udpCpu: { pid: bare.pid } },
    {
      name: "socat",
      tcp: socatPort,
      udp: socatUdp,
      cpu: { pid: socatTcp.pid, group: true },
      udpCpu: { pid: socatDgram.pid, group: true },
    },
  ];
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", noDelay: true }, () => resolve(socket));
    socket.once("error", reject);
  });
}

class Stalled extends Error {}

/** Writes STREAM_BYTES and reads them back at the same time; MB/s of echoed bytes. */
async function tcpThroughput(port, cpu) {
  const cpuBefore = serverCpuMs(cpu);
  const socket = await connect(port);
  const chunk = Buffer.alloc(STREAM_CHUNK_BYTES, 0x5a);
  const started = process.hrtime.bigint();
  let received = 0;
  let lastData = performance.now();
  let watchdog;
  const done = new Promise((resolve, reject) => {
    socket.on("data", (data) => {
      received += data.length;
      lastData = performance.now();
      if (received >= STREAM_BYTES) resolve();
    });
    socket.on("error", reject);
    watchdog = setInterval(() => {
      if (performance.now() - lastData > STREAM_STALL_MS) reject(new Stalled(`stalled after ${received} bytes`));
    }, 500);
  }).finally(() => clearInterval(watchdog));
  let sent = 0;
  const pump = () => {
    while (sent < STREAM_BYTES) {
      sent += chunk.length;
      if (!socket.write(chunk)) return void socket.once("drain", pump);
    }
  };
  pump();
  try {
    await done;
  } finally {
    socket.destroy();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuMsPerGiB = ((serverCpuMs(cpu) - cpuBefore) * 1024 ** 3) / STREAM_BYTES;
  return { mbps: STREAM_BYTES / seconds / 1e6, cpuMsPerGiB };
}

/** One small message at a time; p50 and p99 of the round trip in microseconds. */
async function pingPong(port) {
  const socket = await connect(port);
  const message = Buffer.alloc(PING_BYTES, 0x70);
  const samples = new Float64Array(PING_COUNT);
  let n = -PING_WARMUP;
  let got = 0;
  let started = 0n;
  await new Promise((resolve, reject) => {
    socket.on("error", reject);
    socket.on("data", (data) => {
      got += data.length;
      if (got < PING_BYTES) return;
      got -= PING_BYTES;
      if (n >= 0) samples[n] = Number(process.hrtime.bigint() - started) / 1e3;
      n += 1;
      if (n === PING_COUNT) return resolve();
      started = process.hrtime.bigint();
      socket.write(message);
    });
    started = process.hrtime.bigint();
    socket.write(message);
  });
  socket.destroy();
  samples.sort();
  return { p50: samples[Math.floor(PING_COUNT * 0.5)], p99: samples[Math.floor(PING_COUNT * 0.99)] };
}

/** UDP_WINDOW datagrams in flight for UDP_SECONDS; replies per second. */
async function udpRate(port, cpu) {
  const cpuBefore = serverCpuMs(cpu);
  const socket = dgram.createSocket("udp4");
  await new Promise((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const message = Buffer.alloc(UDP_BYTES, 0x75);
  let replies = 0;
  let lastReply = performance.now();
  const send = () => socket.send(message, port, "127.0.0.1");
  const deadline = performance.now() + UDP_SECONDS * 1000;
  const started = performance.now();
  await new Promise((resolve) => {
    socket.on("message", () => {
      replies += 1;
      lastReply = performance.now();
      if (lastReply < deadline) send();
    });
    const watchdog = setInterval(() => {
      const now = performance.now();
      if (now >= deadline) {
        clearInterval(watchdog);
        return resolve();
      }
      if (now - lastReply > UDP_STALL_MS) for (let i = 0; i < UDP_WINDOW; i++) send();
    }, UDP_STALL_MS);
    for (let i = 0; i < UDP_WINDOW; i++) send();
  });
  socket.close();
  const cpuUsPerEcho = ((serverCpuMs(cpu) - cpuBefore) * 1000) / replies;
  return { rate: replies / ((performance.now() - started) / 1000), cpuUsPerEcho };
}

function timed(what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${MEASURE_TIMEOUT_MS} ms`)), MEASURE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const median = (values) =>
  values.length === 0 ? Number.NaN : [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}

async function main() {
  const servers = await startServers();
  const results = new Map(
    servers.map((s) => [s.name, { mbps: [], cpuGiB: [], p50: [], p99: [], udp: [], cpuUdp: [], stalls: 0 }]),
  );
  // A warm-up pass (not counted) so the client's own JIT does not weigh on whoever goes first.
  process.stderr.write("warm-up...\n");
  for (const server of servers) {
    await timed(`${server.name} warm-up`, pingPong(server.tcp)).catch(() => undefined);
    await timed(`${server.name} warm-up`, udpRate(server.udp, server.udpCpu)).catch(() => undefined);
  }
  for (let round = 1; round <= ROUNDS; round++) {
    process.stderr.write(`round ${round}/${ROUNDS}...\n`);
    // Each round starts with a different server, so load from elsewhere on the machine spreads evenly.
    const order = servers.map((_, i) => servers[(i + round) % servers.length]);
    for (const server of order) {
      const r = results.get(server.name);
      process.stderr.write(`  ${server.name}: tcp stream`);
      try {
        const { mbps, cpuMsPerGiB } = await timed(`${server.name} tcp stream`, tcpThroughput(server.tcp, server.cpu));
        r.mbps.push(mbps);
        r.cpuGiB.push(cpuMsPerGiB);
      } catch (error) {
        if (!(error instanceof Stalled)) throw error;
        r.stalls += 1;
        process.stderr.write(` (${error.message})`);
      }
      process.stderr.write(", ping-pong");
      const { p50, p99 } = await timed(`${server.name} ping-pong`, pingPong(server.tcp));
      r.p50.push(p50);
      r.p99.push(p99);
      process.stderr.write(", udp\n");
      const { rate, cpuUsPerEcho } = await timed(`${server.name} udp`, udpRate(server.udp, server.udpCpu));
      r.udp.push(rate);
      r.cpuUdp.push(cpuUsPerEcho);
    }
  }
  const m = (name, key) => median(results.get(name)[key]);
  const metrics = [
    ["TCP throughput, MB/s each way", "mbps", (v) => v.toFixed(0), true],
    ["  server CPU ms per GiB echoed", "cpuGiB", (v) => v.toFixed(0), false],
    ["ping-pong p50, us", "p50", (v) => v.toFixed(1), false],
    ["ping-pong p99, us", "p99", (v) => v.toFixed(1), false],
    ["UDP echoes per second", "udp", (v) => v.toFixed(0), true],
    ["  server CPU us per UDP echo", "cpuUdp", (v) => v.toFixed(1), false],
  ];
  // A value of 0 was not measured (socat's forked children are not its listener's CPU): say so.
  const shown = (fmt, v) => (v > 0 ? fmt(v) : "n/a");
  const ratio = (a, b) => (a > 0 && b > 0 ? `${(a / b).toFixed(a / b < 0.1 ? 3 : 2)}x` : "n/a");
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
  console.log(
    [
      "",
      `bench/echo: loopback, node ${process.version}, median of ${ROUNDS} round(s); ` +
        `${STREAM_BYTES / 1024 / 1024} MiB stream, ${PING_COUNT} ping-pongs of ${PING_BYTES} B, ` +
        `${UDP_SECONDS} s of ${UDP_BYTES} B datagrams with ${UDP_WINDOW} in flight`,
      "socat: TCP-LISTEN,fork PIPE and UDP-RECVFROM,fork PIPE (one process per datagram); " +
        "porthost: log level warn, events off, UDP rate limit raised (one source)",
      "server CPU rows come from /proc (10 ms ticks) and, unlike wall time, do not grow when other programs load the cores",
      "",
      table(["", "porthost", "bare node", "socat", "porthost/bare", "porthost/socat"], rows),
      "",
      ...servers
        .filter((s) => results.get(s.name).stalls > 0)
        .map(
          (s) =>
            `${s.name}: the stream stalled in ${results.get(s.name).stalls} of ${ROUNDS} rounds and counts only the others` +
            (s.name === "socat" ? " (socat's PIPE can block writing into its own full pipe)" : ""),
        ),
      // Every round, not just the median: on a shared machine the spread says how far to trust a ratio.
      ...servers.map(
        (s) =>
          `${s.name} per round: MB/s ${results
            .get(s.name)
            .mbps.map((v) => v.toFixed(0))
            .join(" ")}; p50 us ${results
            .get(s.name)
            .p50.map((v) => v.toFixed(1))
            .join(" ")}`,
      ),
      `load average at the end: ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")} (${cpus().length} cores)`,
      `target TCP throughput >= 0.9x bare: ${throughputRatio.toFixed(2)}x, ${throughputRatio >= 0.9 ? "met" : "NOT met"}`,
      `target ping-pong p50 <= 1.1x bare: ${latencyRatio.toFixed(2)}x, ${latencyRatio <= 1.1 ? "met" : "NOT met"}`,
      "",
    ].join("\n"),
  );
}

function stopChildren() {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    try {
      // socat's forked children live in its process group; node children are stopped by pid.
      if (child.spawnargs[0]?.endsWith("socat")) process.kill(-child.pid, "SIGTERM");
      else child.kill("SIGTERM");
    } catch {
      child.kill("SIGTERM");
    }
  }
}

process.on("SIGINT", () => {
  stopChildren();
  process.exit(130);
});
try {
  await main();
} finally {
  stopChildren();
}
