import net from "node:net";
import tls from "node:tls";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { socketTls, tlsFailureDetail, tlsFailureOutcome, TLS_FAILURE_PREFIX } from "../src/index.js";

describe("socketTls", () => {
  it("reads the version and cipher of a TLS session, and says so when a socket knows neither", () => {
    const session = { getProtocol: () => "TLSv1.3", getCipher: () => ({ name: "TLS_AES_256_GCM_SHA384" }) };
    expect(socketTls(session, "implicit")).toEqual({
      version: "TLSv1.3",
      cipher: "TLS_AES_256_GCM_SHA384",
      mode: "implicit",
    });
    expect(socketTls({ getProtocol: () => null, getCipher: () => undefined }, "starttls")).toEqual({
      version: "unknown",
      cipher: "unknown",
      mode: "starttls",
    });
  });
});

describe("tlsFailureDetail", () => {
  it("names OpenSSL's reason for a plain-text client on a TLS socket", async () => {
    const failed = new Promise<unknown>((resolve) => {
      const server = net.createServer((socket) => {
        const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: tls.createSecureContext({}) });
        secure.on("error", (error) => {
          server.close();
          resolve(error);
        });
      });
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo;
        const client = net.connect(port, "127.0.0.1", () => client.write("EHLO plain.example\r\n"));
        client.on("error", () => undefined);
        void once(client, "close");
      });
    });
    expect(tlsFailureDetail(await failed)).toBe("TLS handshake failed: wrong version number");
  });

  it.each([
    [
      "a timeout",
      Object.assign(new Error("TLS handshake timeout"), { code: "ERR_TLS_HANDSHAKE_TIMEOUT" }),
      "no handshake in time",
    ],
    ["a client that hung up", new Error("Socket closed while initiating TLS"), "the client closed the connection"],
    [
      "a reset",
      Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
      "the client closed the connection",
    ],
    [
      "smtp-server's rewritten message",
      Object.assign(new Error("Failed to establish TLS session"), {
        meta: { message: "80:error:0A0000C1:SSL routines:tls_post_process_client_hello:no shared cipher:../x.c:1:" },
      }),
      "no shared cipher",
    ],
    ["anything else", new Error("something odd"), "something odd"],
  ])("says %s in a few words", (_what, error, why) => {
    expect(tlsFailureDetail(error)).toBe(`${TLS_FAILURE_PREFIX}${why}`);
  });

  it("makes a handshake the server stopped waiting for a timeout, anything else an error", () => {
    const timeout = Object.assign(new Error("TLS handshake timeout"), { code: "ERR_TLS_HANDSHAKE_TIMEOUT" });
    expect(tlsFailureOutcome(tlsFailureDetail(timeout))).toBe("timeout");
    expect(tlsFailureOutcome(tlsFailureDetail(new Error("Socket closed while initiating TLS")))).toBe("error");
  });
});
