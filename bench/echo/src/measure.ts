import dgram from "node:dgram";
import net from "node:net";
import { Readable } from "node:stream";
import { cpuMs, type CpuScope } from "./cpu.js";

const STREAM_CHUNK_BYTES = 64 * 1024; // 64 KiB per write
const STREAM_STALL_MS = 5_000; // no echoed byte for this long: the server is stuck (socat's PIPE can be)
const PING_WARMUP = 2_000; // round trips before measuring
const PING_BYTES = 32;
const UDP_WINDOW = 32; // datagrams in flight
const UDP_BYTES = 64;
const UDP_STALL_MS = 50; // no reply for this long: assume loss and refill the window
const MEASURE_TIMEOUT_MS = 120_000; // 2 min: a stuck measurement fails loudly instead of hanging

export const SHAPE = { PING_BYTES, UDP_BYTES, UDP_WINDOW } as const;

export interface StreamResult {
  readonly mbps: number;
  readonly cpuMsPerGiB: number;
}

export interface DatagramResult {
  /** Replies per second. */
  readonly rate: number;
  readonly cpuUsPerEcho: number;
}

/** The stream stopped moving; the round counts without it. */
export class Stalled extends Error {}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", noDelay: true }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Writes `bytes` and reads them back at the same time: MB/s of echoed bytes, server CPU per GiB. */
export async function tcpThroughput(port: number, cpu: CpuScope, bytes: number): Promise<StreamResult> {
  const cpuBefore = cpuMs(cpu);
  const socket = await connect(port);
  const chunk = Buffer.alloc(STREAM_CHUNK_BYTES, 0x5a);
  const started = process.hrtime.bigint();
  let received = 0;
  let lastData = performance.now();
  let watchdog: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve, reject) => {
    socket.on("data", (data: Buffer) => {
      received += data.length;
      lastData = performance.now();
      if (received >= bytes) resolve();
    });
    socket.on("error", reject);
    watchdog = setInterval(() => {
      if (performance.now() - lastData > STREAM_STALL_MS) reject(new Stalled(`stalled after ${received} bytes`));
    }, 500);
  }).finally(() => clearInterval(watchdog));
  // The socket's own backpressure paces the writes; the chunks repeat one buffer.
  const chunks = function* () {
    for (let sent = 0; sent < bytes; sent += chunk.length) yield chunk;
  };
  Readable.from(chunks(), { objectMode: false }).pipe(socket, { end: false });
  try {
    await done;
  } finally {
    socket.destroy();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { mbps: bytes / seconds / 1e6, cpuMsPerGiB: ((cpuMs(cpu) - cpuBefore) * 1024 ** 3) / bytes };
}

/** One small message at a time; p50 and p99 of the round trip in microseconds. */
export async function pingPong(port: number, count: number): Promise<{ p50: number; p99: number }> {
  const socket = await connect(port);
  const message = Buffer.alloc(PING_BYTES, 0x70);
  const samples = new Float64Array(count);
  let n = -PING_WARMUP;
  let got = 0;
  let started = 0n;
  await new Promise<void>((resolve, reject) => {
    socket.on("error", reject);
    socket.on("data", (data: Buffer) => {
      got += data.length;
      if (got < PING_BYTES) return;
      got -= PING_BYTES;
      if (n >= 0) samples[n] = Number(process.hrtime.bigint() - started) / 1e3;
      n += 1;
      if (n === count) return resolve();
      started = process.hrtime.bigint();
      socket.write(message);
    });
    started = process.hrtime.bigint();
    socket.write(message);
  });
  socket.destroy();
  samples.sort();
  return { p50: samples[Math.floor(count * 0.5)]!, p99: samples[Math.floor(count * 0.99)]! };
}

/** UDP_WINDOW datagrams in flight for `seconds`; replies per second and server CPU per reply. */
export async function udpRate(port: number, cpu: CpuScope, seconds: number): Promise<DatagramResult> {
  const cpuBefore = cpuMs(cpu);
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const message = Buffer.alloc(UDP_BYTES, 0x75);
  let replies = 0;
  let lastReply = performance.now();
  const send = (): void => socket.send(message, port, "127.0.0.1");
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await new Promise<void>((resolve) => {
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
  const cpuUsPerEcho = ((cpuMs(cpu) - cpuBefore) * 1000) / replies;
  return { rate: replies / ((performance.now() - started) / 1000), cpuUsPerEcho };
}

/** The measurement, or a loud failure after MEASURE_TIMEOUT_MS. */
export function timed<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${MEASURE_TIMEOUT_MS} ms`)), MEASURE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
