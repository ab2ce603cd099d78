import { readFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordProbe } from "./probe-table.js";
import { startHostileHost, type HostileHost } from "./hostile-host.js";
import { ATTACKER, OTHER_CLIENT } from "./http-client.js";

/** A short idle timeout, so that "bounded" is seen within the probe: the implicit TLS ports' handshake limit. */
const IDLE_TIMEOUT_MS = 3_000; // 3 s
/** Stalled handshakes from one address: under the per-address cap of both services (128, and 75 for pop3's 100). */
const STALLED = 60;
/** How much later than the idle timeout the last stalled connection may close (a busy 2-core machine). */
const CLOSE_SLACK_MS = 15_000; // 15 s
/** A TLS record header announcing a 512-byte handshake, and the ClientHello type byte: then nothing more. */
const PARTIAL_CLIENT_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]);

let host: HostileHost;
let ca: string;
beforeAll(async () => {
  host = await startHostileHost({
    PORTHOST_SMTP_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
    PORTHOST_POP3_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
  });
  ca = await readFile(path.join(host.dataDir, "tls", "rootCA.pem"), "utf8");
});
afterAll(() => host?.close());

/**
 * Opens `count` connections from `from` that never finish a TLS handshake: half send nothing, half
 * a ClientHello's first bytes. Resolves once all are connected, with a promise of when the last closes.
 */
async function stallHandshakes(port: number, count: number, from: string) {
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      (_, i) =>
        new Promise<net.Socket>((resolve, reject) => {
          const socket = net.connect({ host: "127.0.0.1", port, localAddress: from }, () => {
            if (i % 2 === 1) socket.write(PARTIAL_CLIENT_HELLO);
            resolve(socket);
          });
          socket.once("error", reject);
        }),
    ),
  );
  const startedAt = Date.now();
  const allClosed = Promise.all(
    sockets.map((socket) => {
      socket.on("error", () => undefined);
      socket.resume();
      return new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once("close", () => resolve())));
    }),
  ).then(() => Date.now() - startedAt);
  return { allClosed, release: () => sockets.forEach((s) => s.destroy()) };
}

/** A client from `from` that trusts the dev CA, finishes TLS and reads the greeting inside. */
function greeting(port: number, from: string): Promise<string> {
  return new Promise((resolve) => {
    const plain = net.connect({ host: "127.0.0.1", port, localAddress: from });
    const socket = tls.connect({ socket: plain, ca, servername: "localhost" });
    let text = "";
    const done = (line: string): void => {
      socket.destroy();
      resolve(line);
    };
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      text += chunk;
      if (text.includes("\n")) done(text.slice(0, text.indexOf("\n")).trimEnd());
    });
    socket.on("error", (error) => done(`(${error.message})`));
    socket.on("close", () => done(text || "(closed)"));
  });
}

describe("TLS handshakes that never complete, on the implicit TLS ports", () => {
  it.each([
    ["submissions", "SMTP 465", /^220 /],
    ["pop3s", "POP3 995", /^\+OK porthost POP3 ready/],
  ])(
    "%s: %s connections that never finish TLS are cut at the idle timeout; others are served meanwhile",
    async (service, name, served) => {
      const port = host.port(service);
      const stalled = await stallHandshakes(port, STALLED, ATTACKER);
      try {
        const meanwhile = await greeting(port, OTHER_CLIENT);
        const closedAfterMs = await stalled.allClosed;
        const bound = IDLE_TIMEOUT_MS + CLOSE_SLACK_MS;
        const held = served.test(meanwhile) && closedAfterMs <= bound;
        expect(
          recordProbe({
            probe: `${name} (${service}): ${STALLED} handshakes that never finish from 127.0.0.1 (silent, or half a ClientHello)`,
            limit: `all cut within the idle timeout ${IDLE_TIMEOUT_MS / 1000} s (+${CLOSE_SLACK_MS / 1000} s); 127.0.0.2 served`,
            observed: `last cut after ${(closedAfterMs / 1000).toFixed(1)} s; 127.0.0.2: ${meanwhile.slice(0, 24)}`,
            held,
          }),
        ).toBe(true);
      } finally {
        stalled.release();
      }
    },
  );
});
