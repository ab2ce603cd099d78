import { once } from "node:events";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordProbe } from "./probe-table.js";
import { startHostileHost, type HostileHost } from "./hostile-host.js";
import { ATTACKER, holdConnections, servedCount } from "./http-client.js";

/** Share of the other clients' requests that must be served while one address attacks. */
const SERVED_SHARE = 0.9;

let host: HostileHost;
beforeAll(async () => {
  host = await startHostileHost();
});
afterAll(() => host.close());

describe("HTTP connection budget", () => {
  it("1,030 event streams held open from one address leave the other clients served", async () => {
    const port = host.port("http");
    const streams = await holdConnections(
      port,
      1_030,
      ATTACKER,
      "GET /api/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n",
    );
    try {
      const served = await servedCount(port, "/api/ports", 70);
      const held = served >= SERVED_SHARE * 70;
      expect(
        recordProbe({
          probe: "HTTP: 1,030 SSE streams held open from 127.0.0.1",
          limit: "≥ 90% of 70 requests from 127.0.0.2 served",
          observed: `${served}/70 served (attacker connected ${streams.connected} times)`,
          held,
        }),
      ).toBe(true);
    } finally {
      streams.release();
    }
  });

  it("1,100 slowloris connections from one address leave the other clients served", async () => {
    const port = host.port("http");
    // Half a request head, never finished: node waits up to headersTimeout (10 s) for the rest.
    const slow = await holdConnections(port, 1_100, ATTACKER, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    try {
      const served = await servedCount(port, "/", 90);
      const held = served >= SERVED_SHARE * 90;
      expect(
        recordProbe({
          probe: "HTTP: 1,100 slowloris connections from 127.0.0.1",
          limit: "≥ 90% of 90 requests from 127.0.0.2 served",
          observed: `${served}/90 served (attacker connected ${slow.connected} times)`,
          held,
        }),
      ).toBe(true);
    } finally {
      slow.release();
    }
  });

  it("an event stream gets heartbeats and ends at its lifetime; EventSource reconnects by itself", async () => {
    const lifetimeMs = 3_000;
    const short = await startHostileHost({
      PORTHOST_HTTP_STREAM_LIFETIME_MS: String(lifetimeMs),
      PORTHOST_HTTP_STREAM_HEARTBEAT_MS: "500",
    });
    try {
      const started = Date.now();
      const response = await new Promise<http.IncomingMessage>((resolve, reject) =>
        http.get(`http://127.0.0.1:${short.port("http")}/api/events/stream`, resolve).on("error", reject),
      );
      let heartbeats = 0;
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (heartbeats += chunk.split(": keep-alive\n\n").length - 1));
      await once(response, "end");
      const lasted = Date.now() - started;
      const held = heartbeats > 0 && lasted < lifetimeMs + 5_000;
      expect(
        recordProbe({
          probe: "HTTP: one SSE stream held open",
          limit: "heartbeat comments; ended at PORTHOST_HTTP_STREAM_LIFETIME_MS (3 s here)",
          observed: `${heartbeats} heartbeats, ended after ${(lasted / 1000).toFixed(1)} s`,
          held,
        }),
      ).toBe(true);
    } finally {
      await short.close();
    }
  });
});
