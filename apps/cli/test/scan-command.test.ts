import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildEcho, type EchoService } from "@porthost/echo";
import { readConfig } from "@porthost/ports";
import { runCli } from "./run-cli.js";

describe("porthost scan", () => {
  let echo: EchoService;
  let echoPort: number;
  let closedPort: number;
  let env: Record<string, string>;
  beforeAll(async () => {
    const config = readConfig({}, "/");
    echo = buildEcho({ host: "127.0.0.1", echoPort: 0, discardPort: 0, echo: config.echo, discard: config.discard });
    echoPort = (await echo.listen())[0]!.port;
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    closedPort = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    // The scan names an open port by the porthost service this configuration puts there.
    env = { PORTHOST_ECHO_PORT: String(echoPort) };
  });
  afterAll(() => echo.close());

  it("names the open port by porthost's service and counts the closed one", async () => {
    const result = await runCli(["scan", "127.0.0.1", "--ports", `${closedPort},${echoPort}`], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^${echoPort}/tcp\\s+open\\s+\\S+\\s+echo\\s+\\d+$`, "m"));
    expect(result.stdout).not.toMatch(new RegExp(`^${closedPort}/tcp`, "m"));
    expect(result.stdout).toMatch(/^1 open; 1 closed \(a reset came back: nothing listens\); 0 filtered/m);
  });

  it("--json: the open ports with names and the ephemeral port used, and the counts", async () => {
    const result = await runCli(["scan", "--ports", `${echoPort},${closedPort}`, "--json"], env);
    const body = JSON.parse(result.stdout) as {
      host: string;
      scanned: number;
      open: { port: number; porthost: string; localPort: number }[];
      closed: number;
      filtered: number;
    };
    expect(body).toMatchObject({ host: "127.0.0.1", scanned: 2, closed: 1, filtered: 0 });
    expect(body.open).toEqual([expect.objectContaining({ port: echoPort, porthost: "echo" })]);
    expect(body.open[0]!.localPort).toBeGreaterThan(1023);
  });

  it.each([
    [["scan", "--ports", "0"], /--ports: 0 is not a port to scan: use 1-65535/],
    [["scan", "--ports", "90-80"], /--ports: 90-80 runs backwards/],
    [["scan", "--timeout", "soon"], /--timeout must be whole milliseconds from 1 to 60000, not "soon"/],
    [["scan", "a", "b"], /scan takes one host/],
    [["scan", "bad host!"], /"bad host!" is not an IP address or host name/],
  ])("porthost %j exits 2 with one line", async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });
});
