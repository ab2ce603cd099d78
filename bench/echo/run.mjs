// bench/echo: porthost's echo against a bare node pipe and socat, in one run, on loopback.
// Usage: npm run bench:echo [-- --quick]
import { execFileSync, fork, spawn } from "node:child_process";
import dgram from "node:dgram";
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
  const socatTcp = spawn(socat, [`TCP-LISTEN:${socatPort},bind=127.0.0.1,fork,reuseaddr`, "PIPE"], { stdio: "ignore" });
  const socatDgram = spawn(socat, [`UDP-RECVFROM:${socatUdp},bind=127.0.0.1,fork`, "PIPE"], { stdio: "ignore" });
  children.push(socatTcp, socatDgram);
  const ready = await readyMessage(porthost, "porthost echo");
  if (ready.type !== "ready") throw new Error(`porthost echo: ${ready.message}`);
  await readyMessage(bare, "bare node echo");
  await waitForTcp(socatPort);
  await new Promise((r) => setTimeout(r, 100)); // socat's UDP side binds alongside its TCP side
  return [
    { name: "porthost", tcp: porthostPort, udp: porthostPort },
    { name: "bare node", tcp: barePort, udp: bareUdp },
    { name: "socat", tcp: socatPort, udp: socatUdp },
  ];
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", noDelay: true }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Writes STREAM_BYTES and reads them back at the same time; MB/s of echoed bytes. */
async function tcpThroughput(port) {
  const socket = await connect(port);
  const chunk = Buffer.alloc(STREAM_CHUNK_BYTES, 0x5a);
  const started = process.hrtime.bigint();
  let received = 0;
  const done = new Promise((resolve, reject) => {
    socket.on("data", (data) => {
      received += data.length;
      if (received >= STREAM_BYTES) resolve();
    });
    socket.on("error", reject);
  });
  let sent = 0;
  const pump = () => {
    while (sent < STREAM_BYTES) {
      sent += chunk.length;
      if (!socket.write(chunk)) return void socket.once("drain", pump);
    }
  };
  pump();
  await done;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  socket.destroy();
  return STREAM_BYTES / seconds / 1e6;
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
async function udpRate(port) {
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
  return replies / ((performance.now() - started) / 1000);
}

function timed(what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${MEASURE_TIMEOUT_MS} ms`)), MEASURE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}

async function main() {
  const servers = await startServers();
  const results = new Map(servers.map((s) => [s.name, { mbps: [], p50: [], p99: [], udp: [] }]));
  for (let round = 1; round <= ROUNDS; round++) {
    process.stderr.write(`round ${round}/${ROUNDS}...\n`);
    for (const server of servers) {
      const r = results.get(server.name);
      process.stderr.write(`  ${server.name}: tcp stream`);
      r.mbps.push(await timed(`${server.name} tcp stream`, tcpThroughput(server.tcp)));
      process.stderr.write(", ping-pong");
      const { p50, p99 } = await timed(`${server.name} ping-pong`, pingPong(server.tcp));
      r.p50.push(p50);
      r.p99.push(p99);
      process.stderr.write(", udp\n");
      r.udp.push(await timed(`${server.name} udp`, udpRate(server.udp)));
    }
  }
  const m = (name, key) => median(results.get(name)[key]);
  const metrics = [
    ["TCP throughput, MB/s each way", "mbps", (v) => v.toFixed(0), true],
    ["ping-pong p50, us", "p50", (v) => v.toFixed(1), false],
    ["ping-pong p99, us", "p99", (v) => v.toFixed(1), false],
    ["UDP echoes per second", "udp", (v) => v.toFixed(0), true],
  ];
  const rows = metrics.map(([label, key, fmt]) => [
    label,
    fmt(m("porthost", key)),
    fmt(m("bare node", key)),
    fmt(m("socat", key)),
    `${(m("porthost", key) / m("bare node", key)).toFixed(2)}x`,
    `${(m("porthost", key) / m("socat", key)).toFixed(2)}x`,
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
      "",
      table(["", "porthost", "bare node", "socat", "porthost/bare", "porthost/socat"], rows),
      "",
      `target TCP throughput >= 0.9x bare: ${throughputRatio.toFixed(2)}x, ${throughputRatio >= 0.9 ? "met" : "NOT met"}`,
      `target ping-pong p50 <= 1.1x bare: ${latencyRatio.toFixed(2)}x, ${latencyRatio <= 1.1 ? "met" : "NOT met"}`,
      "",
    ].join("\n"),
  );
}

function stopChildren() {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
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
