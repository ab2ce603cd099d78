import { once } from "node:events";
import { readFileSync } from "node:fs";
import https from "node:https";
import net from "node:net";
import path from "node:path";
import { ephemeralPorts, startPorthost, tempDir, type RunningPorthost } from "@porthost/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordProbe } from "./probe-table.js";
import { PORTHOST_BIN } from "./hostile-host.js";
import { ATTACKER, holdConnections, OTHER_CLIENT, REQUEST_TIMEOUT_MS } from "./http-client.js";

/** Share of the other client's requests that must be served while one address attacks. */
const SERVED_SHARE = 0.9;
/** `porthost start` may take a while on a busy 2-core machine: this only decides when it has hung. */
const START_WITHIN_MS = 120_000; // 2 min
/** A connection the server should cut (a failed or missing handshake) must be cut within this. */
const CUT_WITHIN_MS = 30_000; // 30 s: the handshake timeout is the 10 s headers timeout

let host: RunningPorthost;
let data: { dir: string; remove: () => Promise<void> };
let ca: string;
beforeAll(async () => {
  data = await tempDir("porthost-hostile-https-");
  host = await startPorthost(PORTHOST_BIN, { PORTHOST_DATA_DIR: data.dir, ...ephemeralPorts() }, START_WITHIN_MS);
  ca = readFileSync(path.join(data.dir, "tls", "rootCA.pem"), "utf8");
}, START_WITHIN_MS + 10_000);
afterAll(async () => {
  try {
    await host?.stop();
  } finally {
    host?.process.kill("SIGKILL");
    await data?.remove();
  }
});

/** One GET over TLS from the other client, trusting only the dev CA; true when answered 200. */
function servedOverTls(port: number, url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = https.get(
      { host: "127.0.0.1", port, path: url, localAddress: OTHER_CLIENT, ca, servername: "localhost", agent: false },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode === 200));
        response.on("error", () => resolve(false));
      },
    );
    request.setTimeout(REQUEST_TIMEOUT_MS, () => request.destroy());
    request.on("error", () => resolve(false));
  });
}

async function servedCount(port: number, url: string, count: number, parallel = 10): Promise<number> {
  let served = 0;
  for (let started = 0; started < count; started += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - started) }, () => servedOverTls(port, url));
    served += (await Promise.all(batch)).filter(Boolean).length;
  }
  return served;
}

/** Connects from the attacker, sends `bytes`, and resolves with how the server ended it, or "open" at the limit. */
async function cutBy(port: number, bytes: Buffer | string): Promise<string> {
  const socket = net.connect({ host: "127.0.0.1", port, localAddress: ATTACKER });
  socket.on("error", () => undefined);
  await once(socket, "connect");
  socket.write(bytes);
  socket.resume();
  const limit = setTimeout(() => socket.emit("limit"), CUT_WITHIN_MS);
  try {
    const [how] = await Promise.race([
      once(socket, "close").then(() => ["closed"]),
      once(socket, "limit").then(() => ["open"]),
    ]);
    return String(how);
  } finally {
    clearTimeout(limit);
    socket.destroy();
  }
}

describe("HTTPS under hostile clients", () => {
  it("1,100 connections that never start a handshake from one address leave the other clients served", async () => {
    const port = host.port("https");
    const silent = await holdConnections(port, 1_100, ATTACKER, "");
    try {
      const served = await servedCount(port, "/api/ports", 70);
      expect(
        recordProbe({
          probe: "HTTPS: 1,100 connections from 127.0.0.1 that never send a ClientHello",
          limit: "≥ 90% of 70 TLS requests from 127.0.0.2 served",
          observed: `${served}/70 served (attacker connected ${silent.connected} times)`,
          held: served >= SERVED_SHARE * 70,
        }),
      ).toBe(true);
    } finally {
      silent.release();
    }
  });

  it("a plain-HTTP request and a half ClientHello on the https port are cut, never held", async () => {
    const port = host.port("https");
    const plain = await cutBy(port, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    // A TLS 1.2 record header announcing a 512-byte handshake, then only 5 bytes of it.
    const half = await cutBy(port, Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03]));
    expect(
      recordProbe({
        probe: "HTTPS: plain HTTP, and half a ClientHello then silence, on the TLS port",
        limit: `both connections cut within ${CUT_WITHIN_MS / 1000} s`,
        observed: `plain HTTP: ${plain}; half ClientHello: ${half}`,
        held: plain === "closed" && half === "closed",
      }),
    ).toBe(true);
  });
});
