import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { connect, readAll, startEcho, until } from "./helpers.js";

describe("discard over TCP", () => {
  it("reads and drops everything, never sends, and closes when the client does", async () => {
    const { discardTcp, events } = await startEcho();
    const socket = await connect(discardTcp.port);
    const reply = readAll(socket);
    socket.end(randomBytes(2 * 1024 * 1024));
    const { data, ended } = await reply;
    expect(data.length).toBe(0);
    expect(ended).toBe(true);
    await until(() => events.length === 1, "the discard event");
    expect(events[0]).toMatchObject({
      service: "discard",
      transport: "tcp",
      localPort: discardTcp.port,
      bytesIn: 2 * 1024 * 1024,
      bytesOut: 0,
      outcome: "ok",
    });
  });

  it("has its own connection limit and idle timeout", async () => {
    const { app, discardTcp, events } = await startEcho({ discard: { maxConnections: 1, idleTimeoutMs: 200 } });
    const first = await connect(discardTcp.port);
    await until(() => app.discardTcp.stats().open === 1, "one open connection");
    const second = await connect(discardTcp.port);
    await readAll(second);
    expect(app.discardTcp.stats().refused).toBe(1);
    await readAll(first);
    await until(() => events.length === 2, "both events");
    expect(events.map((e) => e.outcome).sort()).toEqual(["limited", "timeout"]);
  });
});
