import { execFile, fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import dgram from "node:dgram";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTool } from "@porthost/testkit";
import { environmentWith } from "@porthost/ports";

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const NMAP_TIMEOUT_MS = 120_000; // nmap's service probes wait out each silent probe

/** A number free on both TCP and UDP of 127.0.0.1 right now. */
async function freePort(): Promise<number> {
  for (;;) {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const udp = dgram.createSocket("udp4");
    const free = await new Promise<boolean>((resolve) => {
      udp.once("error", () => resolve(false));
      udp.bind(port, "127.0.0.1", () => resolve(true));
    });
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (free) return port;
  }
}

/** Runs a tool with `input` on stdin; resolves with stdout (binary-safe). */
function run(tool: string, args: readonly string[], input: Buffer | string = ""): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      requireTool(tool),
      args,
      { encoding: "buffer", maxBuffer: 64 * 1024 * 1024, timeout: NMAP_TIMEOUT_MS },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${tool} ${args.join(" ")} failed: ${error.message} ${stderr.toString()}`));
        else resolve(stdout);
      },
    );
    child.stdin?.end(input);
  });
}

let app: ChildProcess;
let echoPort: number;
let discardPort: number;

beforeAll(async () => {
  for (const tool of ["socat", "nc", "nmap"]) requireTool(tool);
  echoPort = await freePort();
  discardPort = await freePort();
  app = fork(MAIN, [], {
    env: environmentWith({
      PORTHOST_HOST: "127.0.0.1",
      PORTHOST_ECHO_PORT: String(echoPort),
      PORTHOST_DISCARD_PORT: String(discardPort),
      PORTHOST_LOG_LEVEL: "warn",
    }),
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const message = await new Promise<unknown>((resolve, reject) => {
    app.once("message", resolve);
    app.once("exit", (code) => reject(new Error(`echo exited with ${String(code)} before it was ready`)));
  });
  expect(message).toMatchObject({ type: "ready", app: "echo" });
  const endpoints = (message as { endpoints: { service: string; transport: string; port: number }[] }).endpoints;
  expect(endpoints.map((e) => `${e.service}/${e.transport}:${e.port}`)).toEqual([
    `echo/tcp:${echoPort}`,
    `echo/udp:${echoPort}`,
    `discard/tcp:${discardPort}`,
    `discard/udp:${discardPort}`,
  ]);
});

afterAll(async () => {
  if (!app || app.exitCode !== null) return;
  const exited = new Promise((resolve) => app.once("exit", resolve));
  app.kill("SIGTERM");
  await exited;
});

describe("echo and discard with outside clients", () => {
  it("socat: a large TCP stream comes back byte for byte, then the server ends", async () => {
    const payload = randomBytes(8 * 1024 * 1024);
    // -t 10: after its stdin ends, socat waits for the echo to finish and the server to close.
    const out = await run("socat", ["-t", "10", "-", `TCP:127.0.0.1:${echoPort}`], payload);
    expect(out.length).toBe(payload.length);
    expect(out.equals(payload)).toBe(true);
  });

  it("socat: a UDP datagram comes back", async () => {
    const out = await run("socat", ["-t", "2", "-", `UDP:127.0.0.1:${echoPort}`], "hello over udp\n");
    expect(out.toString()).toBe("hello over udp\n");
  });

  it("nc -u: echo answers a datagram, discard answers nothing", async () => {
    const echoed = await run("nc", ["-u", "-w", "1", "127.0.0.1", String(echoPort)], "ping\n");
    expect(echoed.toString()).toBe("ping\n");
    const discarded = await run("nc", ["-u", "-w", "1", "127.0.0.1", String(discardPort)], "into the void\n");
    expect(discarded.length).toBe(0);
  });

  it("nc: discard over TCP takes the bytes and sends none back", async () => {
    const out = await run("nc", ["-N", "-w", "5", "127.0.0.1", String(discardPort)], randomBytes(1024 * 1024));
    expect(out.length).toBe(0);
  });

  it(
    "nmap -sV names the echo port echo, though it is not port 7",
    async () => {
      const out = (await run("nmap", ["-sV", "-p", String(echoPort), "127.0.0.1"])).toString();
      expect(out).toMatch(new RegExp(`^${echoPort}/tcp\\s+open\\s+echo\\b`, "m"));
    },
    NMAP_TIMEOUT_MS,
  );
});
