import http, { type IncomingHttpHeaders } from "node:http";
import net from "node:net";

/** One answer as it came over the socket: the body as sent (not decompressed). */
export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One request on a new connection to 127.0.0.1:port; the path is sent as written. */
export function request(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      { host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: options.headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
        );
        response.on("error", reject);
      },
    );
    outgoing.on("error", reject);
    outgoing.end();
  });
}

/** A raw HTTP/1.1 GET (or HEAD) for pipelining on one socket. */
export const rawRequest = (target: string, extra = "", method = "GET"): string =>
  `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`;

export interface RawAnswer {
  readonly status: number;
  readonly head: string;
  readonly body: Buffer;
}

/** A header's value in a raw answer's head. */
export function rawHeader(head: string, name: string): string | undefined {
  const line = head.split("\r\n").find((l) => l.toLowerCase().startsWith(`${name}:`));
  return line?.slice(name.length + 1).trim();
}

/** Splits the bytes a server sent into answers, one per method; HEAD and 304 answers have no body. */
export function splitAnswers(data: Buffer, methods: readonly string[]): RawAnswer[] {
  const out: RawAnswer[] = [];
  let at = 0;
  for (const method of methods) {
    const headEnd = data.indexOf("\r\n\r\n", at);
    if (headEnd === -1) break;
    const head = data.toString("latin1", at, headEnd);
    const status = Number(head.slice(9, 12));
    const length = method === "HEAD" || status === 304 ? 0 : Number(rawHeader(head, "content-length") ?? 0);
    if (data.length < headEnd + 4 + length) break;
    out.push({ status, head, body: data.subarray(headEnd + 4, headEnd + 4 + length) });
    at = headEnd + 4 + length;
  }
  return out;
}

/**
 * Writes `bytes` on one new connection and reads until `methods.length` answers came or the
 * server closed or reset it; `closed` says whether it did.
 */
export function exchange(
  port: number,
  bytes: string,
  methods: readonly string[],
): Promise<{ answers: RawAnswer[]; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const finish = (closed: boolean): void => {
      socket.destroy();
      resolve({ answers: splitAnswers(Buffer.concat(chunks), methods), closed });
    };
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      if (splitAnswers(Buffer.concat(chunks), methods).length === methods.length) finish(false);
    });
    socket.on("close", () => finish(true));
    // A reset is a close here ("close" follows); a refused connection gives no answers.
    socket.on("error", () => undefined);
    socket.on("connect", () => {
      if (bytes !== "") socket.write(bytes, "latin1");
    });
  });
}
