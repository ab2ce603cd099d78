import dgram from "node:dgram";
import net from "node:net";

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

/** Sends text to the echo service in one UDP datagram and waits for the one that comes back. */
export function udpRoundTrip(
  host: string,
  port: number,
  text: string,
  timeoutMs = ECHO_TIMEOUT_MS,
): Promise<EchoResult> {
  const payload = Buffer.from(text);
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(host) ? "udp6" : "udp4");
    let started = 0;
    const finish = (error: Error | undefined, result?: EchoResult): void => {
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve(result!);
    };
    const timer = setTimeout(
      () =>
        finish(
          Object.assign(new Error(`no datagram came back in ${timeoutMs} ms`), {
            code: "ETIMEDOUT",
          }),
        ),
      timeoutMs,
    );
    socket.on("error", (error) => finish(error));
    socket.on("message", (message, from) => {
      const local = socket.address();
      finish(undefined, {
        local: { address: local.address, port: local.port },
        remote: { address: from.address, port: from.port },
        sent: payload.length,
        received: message.toString(),
        roundTripMs: performance.now() - started,
      });
    });
    // A connected socket hears "port unreachable" as ECONNREFUSED instead of waiting in silence.
    socket.connect(port, host, () => {
      started = performance.now();
      socket.send(payload);
    });
  });
}
