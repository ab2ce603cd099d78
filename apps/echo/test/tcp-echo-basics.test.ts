import net from "node:net";
import { describe, expect, it } from "vitest";
import { buildEcho } from "../src/index.js";

describe("buildEcho", () => {
  it("echoes bytes in order and closes when the client half-closes", async () => {
    const echo = buildEcho({ host: "127.0.0.1", port: 0 });
    const [endpoint] = await echo.listen();
    const socket = net.connect(endpoint!.port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.write("first ");
    socket.end("second");
    await new Promise((resolve) => socket.on("close", resolve));
    expect(Buffer.concat(chunks).toString()).toBe("first second");
    await echo.close();
  });

  it("close() ends open connections and stops listening", async () => {
    const echo = buildEcho({ host: "127.0.0.1", port: 0 });
    const [endpoint] = await echo.listen();
    const socket = net.connect(endpoint!.port, "127.0.0.1");
    await new Promise((resolve) => socket.on("connect", resolve));
    const ended = new Promise((resolve) => socket.on("end", resolve));
    await Promise.all([echo.close(), ended]);
    socket.destroy();
    expect(echo.tcp.listening).toBe(false);
  });
});
