import net from "node:net";

/** A TCP port of 127.0.0.1 nothing listens on now: bound by the system, then released. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether something accepts a TCP connection on 127.0.0.1:port now (the connection is closed at once). */
export function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("connect", () => (socket.destroy(), resolve(true)));
    socket.on("error", () => resolve(false));
  });
}

/**
 * A port check as the switchboard's probe (`close`) or a scanner (`reset`) makes one: a handshake
 * with 127.0.0.1:port, then a close without a byte. Resolves with the client's ephemeral port once
 * connected, for finding the check's connection event.
 */
export async function checkPort(port: number, ending: "close" | "reset"): Promise<number> {
  const socket = net.connect({ port, host: "127.0.0.1" });
  socket.on("error", () => undefined);
  await new Promise((resolve) => socket.once("connect", resolve));
  const from = socket.localPort!;
  if (ending === "reset") socket.resetAndDestroy();
  else socket.end();
  return from;
}
