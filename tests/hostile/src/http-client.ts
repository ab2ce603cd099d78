import http from "node:http";
import net from "node:net";

/** The attacker's address and everyone else's: both loopback, two clients to the services. */
export const ATTACKER = "127.0.0.1";
export const OTHER_CLIENT = "127.0.0.2";

/** How long a legitimate request may take before it counts as not served. */
export const REQUEST_TIMEOUT_MS = 15_000; // 15 s

export interface Answer {
  readonly status: number;
  readonly body: string;
}

export interface RequestOptions {
  readonly method?: string;
  readonly from?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** One request on a fresh connection from `from`; resolves with its answer, status 0 when none came in time. */
export function request(port: number, path: string, options: RequestOptions = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: options.method ?? "GET",
        localAddress: options.from ?? OTHER_CLIENT,
        headers: { connection: "close", ...options.headers },
        agent: false,
        timeout: REQUEST_TIMEOUT_MS,
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
        response.on("error", () => resolve({ status: 0, body }));
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve({ status: 0, body: "" }));
    req.end(options.body);
  });
}

/** `count` requests, `parallel` at a time, from the other client; how many were answered 200. */
export async function servedCount(port: number, path: string, count: number, parallel = 10): Promise<number> {
  let served = 0;
  for (let started = 0; started < count; started += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - started) }, () => request(port, path));
    served += (await Promise.all(batch)).filter((a) => a.status === 200).length;
  }
  return served;
}

/** Opens `count` connections from `from`, each sending `firstBytes` and never reading; resolves once each has connected or failed. */
export async function holdConnections(port: number, count: number, from: string, firstBytes: string) {
  const sockets: net.Socket[] = [];
  let connected = 0;
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve) => {
          const socket = net.connect({ host: "127.0.0.1", port, localAddress: from });
          sockets.push(socket);
          socket.on("error", () => resolve());
          socket.on("connect", () => {
            connected += 1;
            socket.write(firstBytes);
            resolve();
          });
        }),
    ),
  );
  return { connected, release: () => sockets.forEach((s) => s.destroy()) };
}
