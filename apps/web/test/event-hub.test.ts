import { describe, expect, it } from "vitest";
import type { ConnectionEvent } from "@porthost/events";
import { EventHub } from "../src/events/event-hub.js";

const event = (remotePort: number, detail?: string): ConnectionEvent => ({
  time: "2026-12-02T01:00:00.000Z",
  service: "echo",
  transport: "tcp",
  localPort: 8007,
  remoteAddress: "127.0.0.1",
  remotePort,
  bytesIn: 1,
  bytesOut: 1,
  durationMs: 0.5,
  outcome: "ok",
  ...(detail === undefined ? {} : { detail }),
});

describe("EventHub", () => {
  it("keeps the newest events up to its capacity, numbered in arrival order", () => {
    const hub = new EventHub(3);
    for (let port = 1; port <= 5; port++) hub.publish(event(port));
    expect(hub.since(0).map((e) => [e.id, e.remotePort])).toEqual([
      [3, 3],
      [4, 4],
      [5, 5],
    ]);
    expect(hub.since(3).map((e) => e.id)).toEqual([4, 5]);
    expect(hub.since(3, 1).map((e) => e.id)).toEqual([4]);
    expect(hub.since(5)).toEqual([]);
    expect(hub.since(99)).toEqual([]);
    expect(hub.since(0, 0)).toEqual([]);
    expect(hub.stats()).toEqual({ received: 5, kept: 3, lastId: 5, listeners: 0 });
  });

  it("answers a partly filled history and an empty one", () => {
    const hub = new EventHub(10);
    expect(hub.since(0)).toEqual([]);
    hub.publish(event(1));
    hub.publish(event(2));
    expect(hub.since(0).map((e) => e.id)).toEqual([1, 2]);
    expect(hub.stats()).toMatchObject({ kept: 2, lastId: 2 });
  });

  it("hands every event to the listeners as it keeps it, detail only when there is one", () => {
    const hub = new EventHub(2);
    const heard: string[] = [];
    const unsubscribe = hub.subscribe((e) => heard.push(JSON.stringify(e)));
    hub.publish(event(1));
    hub.publish(event(2, "why"));
    unsubscribe();
    hub.publish(event(3));
    expect(heard.map((json) => JSON.parse(json) as Record<string, unknown>)).toEqual([
      { id: 1, ...event(1) },
      { id: 2, ...event(2, "why") },
    ]);
    expect(heard[0]).not.toContain("detail");
    expect(heard[0]).not.toContain("tls");
  });

  it("keeps the TLS a connection ran under", () => {
    const hub = new EventHub(2);
    const tls = { version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", mode: "implicit" } as const;
    expect(hub.publish({ ...event(1), tls }).tls).toEqual(tls);
  });
});
