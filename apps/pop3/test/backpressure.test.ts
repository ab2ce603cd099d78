import { once } from "node:events";
import type net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startPop3, type RunningPop3 } from "./pop3-client.js";

let running: RunningPop3 | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

/** Enough replies (about 100 bytes each) to overflow every kernel buffer on loopback many times over. */
const PIPELINED = 400_000;
const CAPA_END = "IMPLEMENTATION porthost\r\n.\r\n";

describe("a client that pipelines and does not read", () => {
  it("stops being read while its replies wait: the server holds one buffer of them, and every reply comes once it reads", async () => {
    running = await startPop3();
    const accepted = once(running.pop3.server, "connection") as Promise<[net.Socket]>;
    const client = await running.connect();
    const [serverSide] = await accepted;
    client.socket.pause();
    client.write("CAPA\r\n".repeat(PIPELINED));
    await expect
      .poll(() => serverSide.isPaused() && serverSide.writableNeedDrain, { timeout: 30_000, interval: 50 })
      .toBe(true);
    // Paused with a full buffer, no command runs, so what waits to go out stays about one buffer.
    expect(serverSide.writableLength).toBeLessThan(serverSide.writableHighWaterMark + 1_024);
    let seen = 0;
    let tail = "";
    const all = new Promise<void>((resolve) => {
      client.socket.on("data", (chunk: Buffer) => {
        const text = tail + chunk.toString("latin1");
        seen += text.split(CAPA_END).length - 1;
        tail = text.slice(1 - CAPA_END.length);
        if (seen >= PIPELINED) resolve();
      });
    });
    client.socket.resume();
    await all;
    expect(seen).toBe(PIPELINED);
  }, 120_000);
});
