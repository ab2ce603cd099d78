import net from "node:net";
import { describe, expect, it } from "vitest";
import { combineListenErrors, explainListenError, isPortConfigError } from "../src/index.js";

function listenError(port: number, host = "127.0.0.1"): Promise<Error> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", resolve);
    server.listen(port, host, () => server.close(() => reject(new Error(`listening on ${port} worked`))));
  });
}

describe("explainListenError", () => {
  it("turns a real EADDRINUSE into one line naming port, service and the fix", async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const raw = await listenError(port);
      const explained = explainListenError(raw, { service: "smtp", transport: "tcp", host: "127.0.0.1", port });
      expect(isPortConfigError(explained)).toBe(true);
      if (!isPortConfigError(explained)) return;
      expect(explained.code).toBe("PORTHOST_ERR_ADDR_IN_USE");
      expect(explained.message).toContain(`${port}/tcp (smtp)`);
      expect(explained.message).toContain("PORTHOST_SMTP_PORT");
      expect(explained.message).toContain("PORTHOST_PORT_OFFSET");
      expect(explained.message).not.toContain("\n");
    } finally {
      holder.close();
    }
  });

  it("names the knock's sequence variable for a taken knock port, which PORTHOST_KNOCK_PORT cannot move", () => {
    const raw = Object.assign(new Error("listen EADDRINUSE: address already in use"), { code: "EADDRINUSE" });
    const explained = explainListenError(raw, { service: "knock", transport: "udp", host: "127.0.0.1", port: 9022 });
    expect(isPortConfigError(explained) && explained.variable).toBe("PORTHOST_KNOCK_SEQUENCE");
    expect((explained as Error).message).toContain("PORTHOST_KNOCK_SEQUENCE=<port:udp,port:tcp,...>");
    expect((explained as Error).message).not.toContain("PORTHOST_KNOCK_PORT");
  });

  it("explains EACCES on a privileged port with the offset that fixes it", () => {
    const raw = Object.assign(new Error("listen EACCES: permission denied 0.0.0.0:25"), { code: "EACCES" });
    const explained = explainListenError(raw, { service: "smtp", transport: "tcp", host: "0.0.0.0", port: 25 });
    expect(isPortConfigError(explained) && explained.code).toBe("PORTHOST_ERR_PORT_PRIVILEGED");
    expect(String((explained as Error).message)).toContain("PORTHOST_PORT_OFFSET=8000 (port 8025)");
  });

  it("explains an address that is not on this machine", async () => {
    const raw = await listenError(0, "192.0.2.1");
    const explained = explainListenError(raw, { service: "http", transport: "tcp", host: "192.0.2.1", port: 0 });
    expect(isPortConfigError(explained) && explained.variable).toBe("PORTHOST_HOST");
  });

  it.each(["ENOTFOUND", "EAI_AGAIN"])("names PORTHOST_HOST when its host name does not resolve (%s)", (code) => {
    const raw = Object.assign(new Error(`getaddrinfo ${code} nonsense.invalid`), { code });
    const explained = explainListenError(raw, {
      service: "smtp",
      transport: "tcp",
      host: "nonsense.invalid",
      port: 8025,
    });
    expect(isPortConfigError(explained) && explained.variable).toBe("PORTHOST_HOST");
    expect((explained as Error).message).toBe(
      "PORTHOST_HOST=nonsense.invalid (where smtp listens) is a name that does not resolve here: set PORTHOST_HOST to an address of this machine (127.0.0.1, 0.0.0.0, ::1)",
    );
  });

  it("passes other errors through unchanged", () => {
    const raw = new Error("something else");
    expect(explainListenError(raw, { service: "echo", transport: "tcp", host: "127.0.0.1", port: 7 })).toBe(raw);
  });
});

describe("combineListenErrors", () => {
  const inUse = (port: number, service: "echo" | "discard", transport: "tcp" | "udp"): unknown =>
    explainListenError(Object.assign(new Error("in use"), { code: "EADDRINUSE" }), {
      service,
      transport,
      host: "127.0.0.1",
      port,
    });

  it("names every port, one line each", () => {
    const combined = combineListenErrors([inUse(8007, "echo", "udp"), inUse(8009, "discard", "tcp")]);
    expect(isPortConfigError(combined)).toBe(true);
    if (!isPortConfigError(combined)) return;
    const lines = combined.message.split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain("8007/udp (echo)");
    expect(lines[1]).toContain("8009/tcp (discard)");
    expect(combined.code).toBe("PORTHOST_ERR_ADDR_IN_USE");
  });

  it("lets an error it cannot explain through unchanged", () => {
    const odd = new Error("EMFILE");
    expect(combineListenErrors([inUse(8007, "echo", "tcp"), odd])).toBe(odd);
    const one = inUse(8007, "echo", "tcp");
    expect(combineListenErrors([one])).toBe(one);
  });
});
