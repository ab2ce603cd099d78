import { once } from "node:events";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startSmtp, type RunningSmtp } from "./start-smtp.js";

let running: RunningSmtp | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

/** Enough replies ("250 OK", 8 bytes each) to overflow every kernel buffer on loopback many times over. */
const PIPELINED = 1_000_000;

describe("a client that pipelines and does not read", () => {
  it("stops being read while its replies wait (smtp-server waits for drain): the server holds one buffer of them", async () => {
    running = await startSmtp();
    const accepted = once(running.smtp.server.server, "connection") as Promise<[net.Socket]>;
    const client = net.connect({ host: "127.0.0.1", port: running.port });
    const [serverSide] = await accepted;
    await once(client, "data"); // the greeting: a client that talks first is cut
    client.pause();
    client.write("NOOP\r\n".repeat(PIPELINED));
    await expect
      .poll(() => serverSide.isPaused() && serverSide.writableNeedDrain, { timeout: 30_000, interval: 50 })
      .toBe(true);
    expect(serverSide.writableLength).toBeLessThan(serverSide.writableHighWaterMark + 1_024);
    let replies = 0;
    let tail = "";
    const all = new Promise<void>((resolve) => {
      client.on("data", (chunk: Buffer) => {
        const text = tail + chunk.toString("latin1");
        replies += text.split("250 ").length - 1;
        tail = text.slice(-3);
        if (replies >= PIPELINED) resolve();
      });
    });
    client.resume();
    await all;
    expect(replies).toBe(PIPELINED);
    client.destroy();
  }, 120_000);
});
