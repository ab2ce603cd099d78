import dgram from "node:dgram";
import net from "node:net";
import type { KnockStep } from "@porthost/ports";

/** How long a TCP knock or a vault connection may take before it is given up. */
export const CLIENT_TIMEOUT_MS = 5_000; // 5 s

export interface ClientOptions {
  /** The address to send from (tests use 127.0.0.2 as a second client). */
  readonly localAddress?: string | undefined;
  readonly timeoutMs?: number;
}

function timeoutError(what: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${what} did not answer in time`), { code: "ETIMEDOUT" });
}

/** Sends one datagram from a fresh socket; resolves with the ephemeral port it left from. */
export function sendDatagram(
  host: string,
  port: number,
  payload: Buffer,
  options: ClientOptions = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIP(host) === 6 ? "udp6" : "udp4");
    socket.once("error", (error) => (socket.close(), reject(error)));
    socket.bind({ port: 0, ...(options.localAddress ? { address: options.localAddress } : {}) }, () => {
      const from = socket.address().port;
      socket.send(payload, port, host, (error) => {
        socket.close();
        if (error) reject(error);
        else resolve(from);
      });
    });
  });
}

/**
 * One knock: a UDP datagram (one byte: knockd's client sends a payload too), or a TCP
 * handshake closed as soon as it completes. Resolves with the client's ephemeral port.
 */
export function knockOnce(host: string, step: KnockStep, options: ClientOptions = {}): Promise<number> {
  if (step.transport === "udp") return sendDatagram(host, step.port, Buffer.from([0]), options);
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      host,
      port: step.port,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    socket.setTimeout(options.timeoutMs ?? CLIENT_TIMEOUT_MS, () => {
      socket.destroy();
      reject(timeoutError(`knock on ${step.port}/tcp`));
    });
    socket.once("error", reject);
    socket.once("connect", () => {
      const from = socket.localPort ?? 0;
      // Wait for the server's close: the knock has then been counted, so the next one cannot overtake it.
      socket.once("close", () => resolve(from));
      socket.resume();
      socket.end();
    });
  });
}

export type VaultAnswer =
  | { readonly open: true; readonly greeting: string; readonly localPort: number }
  | { readonly open: false; readonly code: string; readonly localPort: number };

/** Connects to the vault: its greeting when the door is open, else the error that ended it (ECONNRESET). */
export function tryVault(host: string, port: number, options: ClientOptions = {}): Promise<VaultAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    let localPort = 0;
    let text = "";
    socket.setEncoding("utf8");
    socket.setTimeout(options.timeoutMs ?? CLIENT_TIMEOUT_MS, () => {
      socket.destroy();
      reject(timeoutError(`the vault on ${port}/tcp`));
    });
    socket.once("connect", () => (localPort = socket.localPort ?? 0));
    socket.on("data", (chunk: string) => (text += chunk));
    socket.once("end", () => resolve({ open: true, greeting: text.trim(), localPort }));
    socket.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNRESET") resolve({ open: false, code: error.code, localPort });
      else reject(error);
    });
  });
}
