import net from "node:net";
import { rssMiB } from "./servers.js";

export interface NeverReadResult {
  readonly baseMiB: number;
  readonly peakMiB: number;
  /** At the end, with the clients still there. */
  readonly endMiB: number;
  /** Connections the server closed (each was opened again at once). */
  readonly closedByServer: number;
}

const SAMPLE_EVERY_MS = 250;

/**
 * Keeps `connections` connections to port writing pipelined GETs of `page` as fast as the server
 * reads them and never reading an answer, for `seconds`, opening a new one for each the server
 * closes; samples the RSS of process `pid` throughout.
 */
export async function neverRead(
  port: number,
  page: string,
  pid: number,
  connections: number,
  seconds: number,
): Promise<NeverReadResult> {
  const requests = Buffer.from(`GET ${page} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`.repeat(1_000));
  const sockets = new Set<net.Socket>();
  let running = true;
  let closedByServer = 0;
  const open = (): void => {
    const socket = net.connect(port, "127.0.0.1");
    sockets.add(socket);
    socket.pause();
    socket.on("error", () => undefined);
    socket.on("close", () => {
      sockets.delete(socket);
      if (!running) return;
      closedByServer += 1;
      open();
    });
    socket.on("connect", function write(): void {
      while (socket.write(requests));
      socket.once("drain", write);
    });
  };

  const baseMiB = await rssMiB(pid);
  let peakMiB = baseMiB;
  let endMiB = baseMiB;
  for (let i = 0; i < connections; i++) open();
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
    endMiB = await rssMiB(pid);
    peakMiB = Math.max(peakMiB, endMiB);
  }
  running = false;
  for (const socket of sockets) socket.destroy();
  return { baseMiB, peakMiB, endMiB, closedByServer };
}
