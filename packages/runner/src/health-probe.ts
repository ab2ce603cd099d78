import dgram from "node:dgram";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import { randomBytes } from "node:crypto";
import { tcpRoundTrip, udpRoundTrip } from "@porthost/clients";
import { formatAddress, type Address, type ServiceName, type Transport } from "@porthost/ports";

/** A healthcheck must answer well inside the engine's own timeout (compose gives it 5 s). */
export const HEALTH_PROBE_TIMEOUT_MS = 3_000; // 3 s
/** How long a discard probe waits for a wrong answer (bytes back, or UDP "port unreachable"). */
export const DISCARD_QUIET_MS = 300; // 0.3 s

export type Probe = (address: Address, timeoutMs: number) => Promise<void>;

/** Why a probe failed, in one line that names the service, transport and address. */
export class HealthProbeError extends Error {
  override readonly name = "HealthProbeError";
}

function withTimeout<T>(
  what: string,
  timeoutMs: number,
  run: (done: (error?: Error, value?: T) => void) => () => void,
) {
  return new Promise<T>((resolve, reject) => {
    let cleanup: () => void = () => undefined;
    const timer = setTimeout(() => finish(new Error(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
    let settled = false;
    function finish(error?: Error, value?: T): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cleanup();
      if (error) reject(error);
      else resolve(value as T);
    }
    cleanup = run(finish);
  });
}

/**
 * Connects over TCP (or TLS from the first byte, for 465 and 995) and resolves with the first line
 * the server sends (a protocol greeting). The probe asks whether the service answers, not who it
 * is, so it takes any certificate: the container has no client that trusts the dev CA yet, and
 * the e2e tests check the chain with real clients.
 */
function readGreeting(address: Address, timeoutMs: number, overTls = false): Promise<string> {
  return withTimeout<string>("greeting", timeoutMs, (done) => {
    const socket = overTls
      ? tls.connect({ host: address.host, port: address.port, rejectUnauthorized: false })
      : net.connect({ host: address.host, port: address.port });
    let text = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      text += chunk;
      const end = text.indexOf("\n");
      if (end >= 0) {
        socket.end("QUIT\r\n");
        done(undefined, text.slice(0, end).replace(/\r$/, ""));
      }
    });
    socket.on("error", (error) => done(error));
    socket.on("end", () =>
      done(new Error(`the server closed the connection before a greeting line (${text.length} bytes)`)),
    );
    return () => socket.destroy();
  });
}

const smtpProbe =
  (overTls = false): Probe =>
  async (address, timeoutMs) => {
    const line = await readGreeting(address, timeoutMs, overTls);
    if (!/^220[ -]/.test(line)) throw new Error(`expected an SMTP 220 greeting, got ${JSON.stringify(line)}`);
  };

const pop3Probe =
  (overTls = false): Probe =>
  async (address, timeoutMs) => {
    const line = await readGreeting(address, timeoutMs, overTls);
    if (!line.startsWith("+OK")) throw new Error(`expected a POP3 +OK greeting, got ${JSON.stringify(line)}`);
  };

/**
 * GET /api/ports over HTTP, or over HTTPS taking any certificate: like the TLS greeting probes it
 * asks whether the web app answers, not who it is (the e2e tests check the chain with real clients).
 */
function webProbe(secure: boolean): Probe {
  return (address, timeoutMs) =>
    withTimeout<void>("GET /api/ports", timeoutMs, (done) => {
      const url = `${secure ? "https" : "http"}://${formatAddress(address)}/api/ports`;
      const onResponse = (response: http.IncomingMessage): void => {
        response.resume();
        const type = response.headers["content-type"] ?? "";
        if (response.statusCode !== 200) done(new Error(`GET /api/ports answered ${response.statusCode}, not 200`));
        else if (!type.startsWith("application/json")) done(new Error(`GET /api/ports answered ${type}, not JSON`));
        else done();
      };
      const request = secure ? https.get(url, { rejectUnauthorized: false }, onResponse) : http.get(url, onResponse);
      request.on("error", (error) => done(error));
      return () => request.destroy();
    });
}

/** A fresh random token, so an answer cannot be an old or unrelated one. */
function token(): Buffer {
  return Buffer.from(`porthost-health ${randomBytes(8).toString("hex")}\n`);
}

function udpSocketFor(address: Address): dgram.Socket {
  return dgram.createSocket(net.isIPv6(address.host) ? "udp6" : "udp4");
}

function echoProbe(roundTrip: typeof tcpRoundTrip): Probe {
  return async (address, timeoutMs) => {
    const sent = token().toString();
    const { received } = await roundTrip(address.host, address.port, sent, timeoutMs);
    if (received !== sent) throw new Error(`echo sent back ${JSON.stringify(received)}`);
  };
}

const discardTcpProbe: Probe = (address, timeoutMs) =>
  withTimeout<void>("discard", timeoutMs, (done) => {
    const socket = net.connect({ host: address.host, port: address.port }, () =>
      socket.write(token(), (error) => {
        if (error) done(error);
        else setTimeout(() => done(), DISCARD_QUIET_MS);
      }),
    );
    socket.on("data", () => done(new Error("the discard service sent bytes back")));
    socket.on("error", (error) => done(error));
    return () => socket.destroy();
  });

/** UDP discard never answers; a connected socket still hears "port unreachable" when nobody listens. */
const discardUdpProbe: Probe = (address, timeoutMs) =>
  withTimeout<void>("UDP discard", timeoutMs, (done) => {
    const socket = udpSocketFor(address);
    socket.on("message", () => done(new Error("the discard service sent a datagram back")));
    socket.on("error", (error) => done(error));
    socket.connect(address.port, address.host, () =>
      socket.send(token(), (error) => {
        if (error) done(error);
        else setTimeout(() => done(), DISCARD_QUIET_MS);
      }),
    );
    return () => socket.close();
  });

/**
 * The vault resets everyone who has not knocked, the healthcheck too: a completed handshake (the
 * kernel's, before the reset) shows it listens, where a refused one would not.
 */
const vaultProbe: Probe = (address, timeoutMs) =>
  withTimeout<void>("vault", timeoutMs, (done) => {
    const socket = net.connect({ host: address.host, port: address.port }, () => done());
    socket.on("error", (error) => done(error));
    return () => socket.destroy();
  });

/** The probe that speaks each service's protocol, per transport. */
export const PROBES: Readonly<Partial<Record<ServiceName, Partial<Record<Transport, Probe>>>>> = Object.freeze({
  http: { tcp: webProbe(false) },
  https: { tcp: webProbe(true) },
  smtp: { tcp: smtpProbe() },
  submission: { tcp: smtpProbe() },
  submissions: { tcp: smtpProbe(true) },
  pop3: { tcp: pop3Probe() },
  pop3s: { tcp: pop3Probe(true) },
  echo: { tcp: echoProbe(tcpRoundTrip), udp: echoProbe(udpRoundTrip) },
  discard: { tcp: discardTcpProbe, udp: discardUdpProbe },
  vault: { tcp: vaultProbe },
});

/** Resolves when the service answers in its own protocol; rejects with a HealthProbeError. */
export async function probeService(
  service: ServiceName,
  transport: Transport,
  address: Address,
  timeoutMs: number = HEALTH_PROBE_TIMEOUT_MS,
): Promise<void> {
  const where = `${service}/${transport} at ${formatAddress(address)}`;
  const probe = PROBES[service]?.[transport];
  if (!probe) throw new HealthProbeError(`${where}: porthost has no health probe for this service and transport`);
  try {
    await probe(address, timeoutMs);
  } catch (error) {
    throw new HealthProbeError(`${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
