import net from "node:net";
import { formatAddress, type PorthostConfig } from "@porthost/ports";
import { connectionFailure, failure, usageError } from "../cli-error.js";

export const ECHO_TIMEOUT_MS = 5_000; // 5 s

export interface EchoResult {
  readonly local: { readonly address: string; readonly port: number };
  readonly remote: { readonly address: string; readonly port: number };
  readonly sent: number;
  readonly received: string;
  readonly roundTripMs: number;
}

/** Sends text to the echo service over TCP and waits until as many bytes come back. */
export function tcpRoundTrip(
  host: string,
  port: number,
  text: string,
  timeoutMs = ECHO_TIMEOUT_MS,
): Promise<EchoResult> {
  const payload = Buffer.from(text);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const chunks: Buffer[] = [];
    let received = 0;
    let started = 0;
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" }));
    });
    socket.on("error", reject);
    socket.on("connect", () => {
      started = performance.now();
      socket.write(payload);
    });
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < payload.length) return;
      const roundTripMs = performance.now() - started;
      const result: EchoResult = {
        local: { address: socket.localAddress ?? "", port: socket.localPort ?? 0 },
        remote: { address: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 },
        sent: payload.length,
        received: Buffer.concat(chunks).toString(),
        roundTripMs,
      };
      socket.end();
      resolve(result);
    });
    socket.on("end", () => {
      if (received < payload.length)
        reject(new Error(`the connection closed after ${received} of ${payload.length} bytes`));
    });
  });
}

/** `porthost echo <text>`: a TCP round trip that shows both ports of the conversation. */
export async function echoCommand(words: readonly string[], config: PorthostConfig, json: boolean): Promise<string> {
  const text = words.join(" ");
  if (text === "") throw usageError("echo needs some text to send: porthost echo hello");
  const { host, port } = config.services.echo.addr;
  const where = formatAddress({ host, port });
  let result: EchoResult;
  try {
    result = await tcpRoundTrip(host, port, text);
  } catch (error) {
    throw connectionFailure(error, "echo", where);
  }
  if (result.received !== text)
    throw failure(`echo at ${where} sent back different bytes: ${JSON.stringify(result.received)}`);
  if (json) return JSON.stringify(result, null, 2);
  return [
    `${formatAddress({ host: result.local.address, port: result.local.port })} -> ${formatAddress({ host: result.remote.address, port: result.remote.port })} (tcp)`,
    `  your side used ephemeral port ${result.local.port}; the echo service answered from port ${result.remote.port}`,
    `  sent ${result.sent} bytes, got the same ${result.sent} back in ${result.roundTripMs.toFixed(2)} ms: ${result.received}`,
  ].join("\n");
}
