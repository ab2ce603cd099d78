import net from "node:net";
import { brotliDecompressSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publicSite } from "./public-site.js";
import { testConfig } from "./test-config.js";
import { buildWeb, type WebService } from "../src/index.js";

// The wire fast path answers simple requests for files in memory on the raw socket, before
// node's parser; these tests talk raw HTTP/1.1 to tell which side answered and how.
const page = `<!doctype html><title>wire</title>${"<p>port 80 answers</p>\n".repeat(60)}`;
/** 102 KB: past the size the wire path joins to its head. */
const big = "0123456789abcdef\n".repeat(6_000);
let root: string;
let remove: () => Promise<void>;
let web: WebService;
let port: number;
/** Requests node's own parser saw (the wire fast path's never reach it). */
let seenByNode = 0;

interface Response {
  readonly status: number;
  readonly head: string;
  readonly body: Buffer;
}

function header(head: string, name: string): string | undefined {
  const line = head.split("\r\n").find((l) => l.toLowerCase().startsWith(`${name}:`));
  return line?.slice(name.length + 1).trim();
}

/** Splits the bytes a server sent into responses; HEAD and 304 answers have no body. */
function responses(data: Buffer, methods: readonly string[]): Response[] {
  const out: Response[] = [];
  let at = 0;
  for (const method of methods) {
    const headEnd = data.indexOf("\r\n\r\n", at);
    if (headEnd === -1) break;
    const head = data.toString("latin1", at, headEnd);
    const status = Number(head.slice(9, 12));
    const length = method === "HEAD" || status === 304 ? 0 : Number(header(head, "content-length") ?? 0);
    out.push({ status, head, body: data.subarray(headEnd + 4, headEnd + 4 + length) });
    at = headEnd + 4 + length;
  }
  return out;
}

/** Opens a connection, writes each piece (waiting `pauseMs` between), and reads until the server closes or `count` answers came. */
function exchange(
  pieces: readonly string[],
  methods: readonly string[],
  options: { pauseMs?: number; targetPort?: number } = {},
): Promise<{ answers: Response[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(options.targetPort ?? port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let closed = false;
    const finish = (): void => {
      socket.destroy();
      resolve({ answers: responses(Buffer.concat(chunks), methods), closed });
    };
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      if (responses(Buffer.concat(chunks), methods).length === methods.length) setTimeout(finish, 50);
    });
    socket.on("close", () => {
      closed = true;
      finish();
    });
    socket.on("error", reject);
    socket.on("connect", async () => {
      for (const [i, piece] of pieces.entries()) {
        if (i > 0) await new Promise((r) => setTimeout(r, options.pauseMs ?? 50));
        socket.write(piece, "latin1");
      }
    });
  });
}

const get = (target: string, extra = ""): string => `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`;
const withoutDate = (head: string): string => head.replace(/\r\nDate: [^\r]*/, "");

beforeAll(async () => {
  ({ root, remove } = await publicSite({ "index.html": page, "big.txt": big }));
  web = await buildWeb({ config: testConfig(), publicDir: root, port: 0 });
  web.app.server.on("request", () => (seenByNode += 1));
  port = (await web.listen())[0]!.port;
  // The first request resolves the path on the routes and puts the file in memory.
  await exchange([get("/index.html")], ["GET"]);
});
afterAll(async () => {
  await web.close();
  await remove();
});

describe("the wire fast path, over raw sockets", () => {
  it("answers a plain GET without node's parser, byte for byte as node's path answers it (Date aside)", async () => {
    const before = seenByNode;
    const wire = await exchange([get("/index.html")], ["GET"]);
    expect(seenByNode).toBe(before);
    // The same request cut in two: incomplete in the first read, so node parses it.
    const request = get("/index.html");
    const node = await exchange([request.slice(0, 10), request.slice(10)], ["GET"]);
    expect(seenByNode).toBe(before + 1);
    expect(wire.answers[0]!.status).toBe(200);
    expect(wire.answers[0]!.body.toString()).toBe(page);
    expect(withoutDate(wire.answers[0]!.head)).toBe(withoutDate(node.answers[0]!.head));
    expect(header(wire.answers[0]!.head, "date")).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  });

  it("answers pipelined GET, HEAD, brotli and 304 in order, as node's path does", async () => {
    const etag = header((await exchange([get("/index.html")], ["GET"])).answers[0]!.head, "etag")!;
    const requests = [
      get("/index.html"),
      `HEAD /index.html HTTP/1.1\r\nHost: a\r\n\r\n`,
      get("/index.html", "Accept-Encoding: gzip, deflate, br\r\n"),
      get("/index.html", `If-None-Match: ${etag}\r\n`),
    ];
    const methods = ["GET", "HEAD", "GET", "GET"];
    const before = seenByNode;
    const wire = await exchange([requests.join("")], methods);
    expect(seenByNode).toBe(before);
    // Each request cut in two: the first is incomplete in the first read, so node has the connection.
    const node = await exchange(
      requests.flatMap((r) => [r.slice(0, 5), r.slice(5)]),
      methods,
    );
    expect(seenByNode).toBe(before + 4);
    expect(wire.answers.map((a) => a.status)).toEqual([200, 200, 200, 304]);
    expect(wire.answers[1]!.body.length).toBe(0);
    expect(header(wire.answers[1]!.head, "content-length")).toBe(String(Buffer.byteLength(page)));
    expect(header(wire.answers[2]!.head, "content-encoding")).toBe("br");
    expect(brotliDecompressSync(wire.answers[2]!.body).toString()).toBe(page);
    expect(wire.answers.map((a) => withoutDate(a.head))).toEqual(node.answers.map((a) => withoutDate(a.head)));
  });

  it("sends a bigger file (head, then the cached body) as node's path does", async () => {
    await exchange([get("/big.txt")], ["GET"]); // the routes load it into memory
    const before = seenByNode;
    const wire = await exchange([get("/big.txt") + get("/big.txt")], ["GET", "GET"]);
    expect(seenByNode).toBe(before);
    const request = get("/big.txt");
    const node = await exchange([request.slice(0, 10), request.slice(10)], ["GET"]);
    expect(wire.answers.map((a) => a.body.toString())).toEqual([big, big]);
    expect(withoutDate(wire.answers[1]!.head)).toBe(withoutDate(node.answers[0]!.head));
  });

  it("hands the rest of a connection to node at the first request it does not answer", async () => {
    const before = seenByNode;
    const { answers } = await exchange(
      [
        get("/index.html") +
          `POST /index.html HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi` +
          get("/index.html"),
      ],
      ["GET", "POST", "GET"],
    );
    expect(answers.map((a) => a.status)).toEqual([200, 405, 200]);
    expect(answers[2]!.body.toString()).toBe(page);
    expect(seenByNode).toBe(before + 2);
  });

  it("leaves malformed and oversized requests to node, which answers 400 and 431 and closes", async () => {
    const bad = await exchange([get("/index.html") + get("/index.html", "X-A: b\u0000c\r\n")], ["GET", "GET"]);
    expect(bad.answers.map((a) => a.status)).toEqual([200, 400]);
    expect(bad.closed).toBe(true);
    const oversized = await exchange([get("/index.html", `X-Big: ${"b".repeat(20 * 1024)}\r\n`)], ["GET"]);
    expect(oversized.answers.map((a) => a.status)).toEqual([431]);
    expect(oversized.closed).toBe(true);
  });

  it("never serves outside the root nor a dotfile, whatever the path (node's routes refuse them)", async () => {
    for (const target of ["/../index.html", "/%2e%2e/index.html", "/.env", "/..%2findex.html", "/..%5cindex.html"]) {
      const { answers } = await exchange([get(target)], ["GET"]);
      expect(answers[0]!.status, target).not.toBe(200);
    }
  });

  it("reports each request it answers as an event, with the client's port", async () => {
    const since = web.hub.stats().lastId;
    await exchange([get("/index.html?wire-event")], ["GET"]);
    const event = web.hub.since(since).find((e) => e.detail === "GET /index.html?wire-event 200");
    expect(event).toMatchObject({ service: "http", localPort: port, bytesOut: Buffer.byteLength(page), outcome: "ok" });
    expect(event!.remotePort).toBeGreaterThan(0);
  });

  it("answers thousands of pipelined requests from a client that reads late, all in order", async () => {
    const count = 3_000;
    const requests = Array.from({ length: count }, (_, i) => get(`/index.html?n=${i}`)).join("");
    const received = await new Promise<Buffer>((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.pause();
        socket.write(requests);
        setTimeout(() => socket.resume(), 300);
      });
      const chunks: Buffer[] = [];
      let length = 0;
      const want = count * (Buffer.byteLength(page) + 200);
      socket.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        length += chunk.length;
        if (length >= want * 0.9 && responses(Buffer.concat(chunks), Array(count).fill("GET")).length === count) {
          socket.destroy();
          resolve(Buffer.concat(chunks));
        }
      });
      socket.on("error", reject);
    });
    const answers = responses(received, Array(count).fill("GET"));
    expect(answers.length).toBe(count);
    expect(answers.every((a) => a.status === 200 && a.body.toString() === page)).toBe(true);
  });
});

describe("the wire fast path's timeouts and close", () => {
  let quick: WebService;
  let quickPort: number;
  beforeAll(async () => {
    const config = testConfig({ PORTHOST_HTTP_HEADERS_TIMEOUT_MS: "400", PORTHOST_HTTP_KEEPALIVE_TIMEOUT_MS: "400" });
    quick = await buildWeb({ config, publicDir: root, port: 0 });
    quickPort = (await quick.listen())[0]!.port;
    await exchange([get("/index.html")], ["GET"], { targetPort: quickPort });
  });
  afterAll(() => quick.close());

  it("answers a connection silent for the headers timeout with node's 408, and closes it", async () => {
    const started = Date.now();
    const { answers, closed } = await exchange([], ["GET"], { targetPort: quickPort });
    expect(closed).toBe(true);
    expect(answers.map((a) => a.status)).toEqual([408]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
  });

  it("closes a connection idle for the keep-alive timeout after an answer, announcing the timeout", async () => {
    const started = Date.now();
    const { answers, closed } = await exchange([get("/index.html")], ["GET", "GET"], { targetPort: quickPort });
    expect(closed).toBe(true);
    expect(answers.map((a) => a.status)).toEqual([200]);
    expect(header(answers[0]!.head, "keep-alive")).toBe("timeout=0");
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
  });

  it("ends its idle keep-alive connections when the service closes, so close does not wait for clients", async () => {
    const config = testConfig();
    const closing = await buildWeb({ config, publicDir: root, port: 0 });
    const closingPort = (await closing.listen())[0]!.port;
    await exchange([get("/index.html")], ["GET"], { targetPort: closingPort });
    const socket = net.connect(closingPort, "127.0.0.1");
    const ended = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    socket.on("error", () => undefined);
    const answered = new Promise<void>((resolve) => socket.once("data", () => resolve()));
    socket.write(get("/index.html"));
    await answered;
    const started = Date.now();
    await closing.close();
    await ended;
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
