import { describe, expect, it } from "vitest";
import { readSimpleRequest } from "../src/static/simple-request.js";

const MAX = 16 * 1024;

function read(text: string, start = 0, max = MAX) {
  return readSimpleRequest(Buffer.from(text, "latin1"), start, max);
}

describe("readSimpleRequest: the plain GET or HEAD the wire fast path answers", () => {
  it("reads the method, the target as sent and the headers an answer depends on", () => {
    const text =
      "GET /ports.html?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/8\r\n" +
      'Accept-Encoding:  gzip, br \r\nIf-None-Match: "abc"\r\nif-modified-since: Wed, 02 Dec 2026 00:00:00 GMT\r\n' +
      "Connection: Keep-Alive\r\n\r\n";
    expect(read(text)).toEqual({
      method: "GET",
      target: "/ports.html?x=1",
      headers: {
        "accept-encoding": "gzip, br",
        "if-none-match": '"abc"',
        "if-modified-since": "Wed, 02 Dec 2026 00:00:00 GMT",
      },
      end: text.length,
    });
  });

  it("reads pipelined requests one after the other from where the last ended", () => {
    const one = "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n";
    const two = "GET /b.css HTTP/1.1\r\nHost: a\r\n\r\n";
    const first = read(one + two);
    expect(first).toMatchObject({ method: "HEAD", target: "/", end: one.length });
    expect(read(one + two, first!.end)).toMatchObject({
      method: "GET",
      target: "/b.css",
      end: one.length + two.length,
    });
  });

  it("gives up a head that is not complete in the bytes at hand (node waits for the rest)", () => {
    expect(read("GET / HTTP/1.1\r\nHost: a\r\n")).toBeUndefined();
    expect(read("GET / HTTP/1.1\r\nHost: a\r\n\r")).toBeUndefined();
  });

  it("gives up a head longer than node's maxHeaderSize, so node answers 431", () => {
    const text = `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${"b".repeat(200)}\r\n\r\n`;
    expect(read(text, 0, text.length)).toBeDefined();
    expect(read(text, 0, text.length - 1)).toBeUndefined();
  });

  const notSimple: Record<string, string> = {
    "another method": "POST / HTTP/1.1\r\nHost: a\r\n\r\n",
    "a lower-case method": "get / HTTP/1.1\r\nHost: a\r\n\r\n",
    "HTTP/1.0 (other keep-alive rules)": "GET / HTTP/1.0\r\nHost: a\r\n\r\n",
    "HTTP/2's preface": "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "an absolute-form target": "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n",
    "an asterisk target": "GET * HTTP/1.1\r\nHost: a\r\n\r\n",
    "two spaces after the method": "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
    "a control byte in the target": "GET /a\u0001b HTTP/1.1\r\nHost: a\r\n\r\n",
    "a byte above ASCII in the target": "GET /caf\u00e9 HTTP/1.1\r\nHost: a\r\n\r\n",
    "no Host": "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n",
    "two Hosts": "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "a body by Content-Length": "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
    "a body by Transfer-Encoding": "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "a Range": "GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\n\r\n",
    "an If-Range": "GET / HTTP/1.1\r\nHost: a\r\nIf-Range: x\r\n\r\n",
    "an If-Match": "GET / HTTP/1.1\r\nHost: a\r\nIf-Match: x\r\n\r\n",
    "an Expect": "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n",
    "an Upgrade": "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    "Connection: close": "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    "a repeated Accept-Encoding": "GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: br\r\nAccept-Encoding: gzip\r\n\r\n",
    "a space before the colon": "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
    "an empty header name": "GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n",
    "a folded header line": "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n",
    "a line with no colon": "GET / HTTP/1.1\r\nHost: a\r\nnonsense\r\n\r\n",
    "a bare LF inside a header value": "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\nc\r\n\r\n",
    "a bare CR inside a header value": "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n",
    "a NUL inside a header value": "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u0000c\r\n\r\n",
    "a DEL inside a header value": "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u007fc\r\n\r\n",
    "bare LF line ends": "GET / HTTP/1.1\nHost: a\n\n",
  };
  for (const [what, text] of Object.entries(notSimple)) {
    it(`leaves to node: ${what}`, () => {
      expect(read(text)).toBeUndefined();
    });
  }

  it("never reads past the head it was given nor throws, for any cut of a request", () => {
    const text = 'GET /a?b HTTP/1.1\r\nHost: a\r\nAccept-Encoding: br\r\nIf-None-Match: "x"\r\n\r\n';
    for (let cut = 0; cut < text.length; cut += 1) {
      expect(read(text.slice(0, cut))).toBeUndefined();
      const rest = read(text.slice(cut), 0);
      if (cut > 0) expect(rest).toBeUndefined();
    }
    expect(read(text)?.end).toBe(text.length);
  });
});
