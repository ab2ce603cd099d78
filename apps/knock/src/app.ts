import dgram from "node:dgram";
import net from "node:net";
import { connectionEvent, normalizeAddress, type EventSink, type EventTally } from "@porthost/events";
import { silentLogger, type Logger } from "@porthost/log";
import { KNOCK_DEFAULTS, type KnockSettings, type KnockStep } from "@porthost/ports";
import { bindUdp, listenAll, listenTcp, type ListeningEndpoint } from "@porthost/runner";
import { createKnockTracker, knockDetail, seconds, type KnockTracker } from "./knock-tracker.js";
import { createSpaVerifier, looksLikeSpa } from "./spa.js";

/** Open connections at once on the vault and on each TCP knock port; one more is accepted and closed. */
export const KNOCK_MAX_CONNECTIONS = 100;
/** The vault's greeting is one line; a client that does not take it is cut after this. */
export const VAULT_LINGER_MS = 5_000; // 5 s

export interface KnockOptions {
  readonly host: string;
  /** The knock sequence in order; a port of 0 lets the system pick (tests). */
  readonly sequence: readonly KnockStep[];
  readonly vaultPort: number;
  /** Each falls back to KNOCK_DEFAULTS (@porthost/ports). */
  readonly settings?: Partial<KnockSettings>;
  readonly logger?: Logger;
  readonly events?: EventSink | undefined;
}

export interface KnockService {
  readonly vault: net.Server;
  /** One server per TCP knock of the sequence, in order. */
  readonly knockServers: readonly net.Server[];
  /** Binds every knock port and the vault; the tracker exists from then on. */
  listen(): Promise<ListeningEndpoint[]>;
  close(): Promise<void>;
  /** The sequence as bound (ports of 0 resolved); empty before listen. */
  sequence(): readonly KnockStep[];
  /** Per-address progress and windows; undefined before listen. */
  tracker(): KnockTracker | undefined;
  stats(): { readonly progress: number; readonly windows: number; readonly nonces: number };
}

type Listener =
  | { readonly step: KnockStep; readonly transport: "tcp"; readonly server: net.Server }
  | { readonly step: KnockStep; readonly transport: "udp"; readonly socket: dgram.Socket };

/**
 * Port knocking as knockd does it, but in user space: a knock sequence of UDP datagrams and TCP
 * connections (each accepted and closed at once) opens the vault, a one-line TCP service, to the
 * knocking address for a window; before that the vault resets every connection. A UDP knock that
 * is a single-packet authorization (SPA) datagram opens it at once if it verifies. No command is
 * ever run on a knock.
 */
export function buildKnock(options: KnockOptions): KnockService {
  const logger = options.logger ?? silentLogger();
  const { host, events } = options;
  const settings: KnockSettings = { ...KNOCK_DEFAULTS, ...options.settings };
  let tracker: KnockTracker | undefined;
  let spa: ReturnType<typeof createSpaVerifier> | undefined;
  let bound: KnockStep[] = [];
  const report = (service: "knock" | "vault", transport: "tcp" | "udp", fields: EventFields): void => {
    // An empty TCP connection here is a knock or a greeting taken, never a mere port check.
    events?.send(connectionEvent(service, transport, fields, { ...fields, notPortCheck: true }));
  };

  const onKnock = (step: KnockStep, remoteAddress: string, remotePort: number, bytesIn: number): void => {
    if (!tracker) return;
    const result = tracker.knock(remoteAddress, step);
    const detail = knockDetail(result, settings.timeoutMs);
    const fields = { port: step.port, transport: step.transport, remote: remoteAddress, remotePort, detail };
    if (result.kind === "open") logger.info(fields, "knock sequence complete: vault open");
    else logger.debug(fields, "knock");
    report("knock", step.transport, {
      startedAt: Date.now(),
      durationMs: 0,
      localPort: step.port,
      remoteAddress,
      remotePort,
      bytesIn,
      bytesOut: 0,
      outcome: result.kind === "wrong" ? "refused" : "ok",
      detail,
    });
  };

  const onSpa = (step: KnockStep, message: Buffer, remote: dgram.RemoteInfo): void => {
    if (!tracker || !spa) return;
    const verdict = spa.verify(message);
    if (verdict.ok) tracker.open(remote.address);
    const detail = verdict.ok
      ? `SPA accepted: vault open for ${seconds(settings.windowMs)}`
      : `SPA refused: ${verdict.reason}`;
    const fields = { port: step.port, remote: remote.address, remotePort: remote.port, detail };
    if (verdict.ok) logger.info(fields, "SPA accepted: vault open");
    else logger.debug(fields, "SPA refused");
    report("knock", "udp", {
      startedAt: Date.now(),
      durationMs: 0,
      localPort: step.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      bytesIn: message.length,
      bytesOut: 0,
      outcome: verdict.ok ? "ok" : "refused",
      detail,
    });
  };

  const listeners: Listener[] = options.sequence.map((configured, index) => {
    if (configured.transport === "tcp") {
      // A TCP knock is the handshake itself: accepted, counted, closed without a byte.
      const server = net.createServer({ noDelay: true }, (socket) => {
        socket.on("error", () => undefined);
        const step = bound[index];
        if (step && socket.remoteAddress !== undefined) onKnock(step, socket.remoteAddress, socket.remotePort ?? 0, 0);
        socket.destroy();
      });
      server.maxConnections = KNOCK_MAX_CONNECTIONS;
      return { step: configured, transport: "tcp", server };
    }
    const socket = dgram.createSocket({ type: net.isIP(host) === 6 ? "udp6" : "udp4" });
    socket.on("message", (message, remote) => {
      const step = bound[index];
      if (!step) return;
      if (looksLikeSpa(message)) onSpa(step, message, remote);
      else onKnock(step, remote.address, remote.port, message.length);
    });
    return { step: configured, transport: "udp", socket };
  });

  const open = new Set<net.Socket>();
  const vault = net.createServer({ noDelay: true }, (socket) => {
    const startedAt = Date.now();
    const remoteAddress = normalizeAddress(socket.remoteAddress);
    const fields = { localPort: socket.localPort, remoteAddress, remotePort: socket.remotePort };
    socket.on("error", () => undefined);
    const left = tracker?.windowLeft(remoteAddress);
    if (left === undefined) {
      // The kernel has completed the handshake already: user space can only reset (ECONNRESET).
      socket.resetAndDestroy();
      logger.debug({ port: fields.localPort, remote: remoteAddress, remotePort: fields.remotePort }, "vault reset");
      report("vault", "tcp", {
        ...fields,
        startedAt,
        durationMs: 0,
        bytesIn: 0,
        bytesOut: 0,
        outcome: "refused",
        detail: `reset: ${remoteAddress} has not knocked, or its window is over`,
      });
      return;
    }
    const detail = `knocked: open ${seconds(left)} more`;
    open.add(socket);
    socket.setTimeout(VAULT_LINGER_MS, () => socket.destroy());
    socket.resume();
    socket.on("close", () => {
      open.delete(socket);
      report("vault", "tcp", {
        ...fields,
        startedAt,
        bytesIn: socket.bytesRead,
        bytesOut: socket.bytesWritten,
        outcome: "ok",
        detail,
      });
    });
    logger.info({ port: fields.localPort, remote: remoteAddress, remotePort: fields.remotePort, detail }, "vault open");
    socket.end(`porthost vault: the door is open to ${remoteAddress} for ${seconds(left)} more.\r\n`);
  });
  vault.maxConnections = KNOCK_MAX_CONNECTIONS;

  const knockServers = listeners.flatMap((l) => (l.transport === "tcp" ? [l.server] : []));
  const closeAll = async (): Promise<void> => {
    for (const socket of open) socket.destroy();
    await Promise.all([
      ...[vault, ...knockServers].map(
        (server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
      ),
      ...listeners.map((l) =>
        l.transport === "udp"
          ? new Promise<void>((resolve) => {
              try {
                l.socket.close(() => resolve());
              } catch {
                resolve(); // never bound
              }
            })
          : Promise.resolve(),
      ),
    ]);
  };

  return {
    vault,
    knockServers,
    async listen() {
      const attempts = [
        ...listeners.map((l) =>
          l.transport === "tcp"
            ? listenTcp(l.server, { service: "knock", transport: "tcp", host, port: l.step.port })
            : bindUdp(l.socket, { service: "knock", transport: "udp", host, port: l.step.port }),
        ),
        listenTcp(vault, { service: "vault", transport: "tcp", host, port: options.vaultPort }),
      ];
      const endpoints = await listenAll(attempts).catch(async (error: unknown) => {
        await closeAll();
        throw error;
      });
      bound = endpoints.slice(0, listeners.length).map((e) => ({ port: e.port, transport: e.transport }));
      const vaultPort = endpoints[listeners.length]!.port;
      for (const l of listeners)
        if (l.transport === "udp")
          l.socket.on("error", (error) => logger.warn({ port: l.step.port, err: error.message }, "knock udp error"));
      tracker = createKnockTracker({ sequence: bound, timeoutMs: settings.timeoutMs, windowMs: settings.windowMs });
      spa = createSpaVerifier({ key: settings.spaKey, port: vaultPort });
      return endpoints;
    },
    close: closeAll,
    sequence: () => bound,
    tracker: () => tracker,
    stats: () => ({ ...(tracker?.sizes() ?? { progress: 0, windows: 0 }), nonces: spa?.nonces() ?? 0 }),
  };
}

type EventFields = EventTally & { localPort?: number; remoteAddress?: string; remotePort?: number };
