import type { EventSink } from "@porthost/events";
import { silentLogger, type Logger } from "@porthost/log";
import { DISCARD_DEFAULTS, ECHO_DEFAULTS, type DiscardSettings, type EchoSettings } from "@porthost/ports";
import { listenAll, type ListeningEndpoint } from "@porthost/runner";
import { DISCARD_HANDLER, ECHO_HANDLER } from "./tcp-handlers.js";
import { buildTcpService, type TcpService } from "./tcp-service.js";
import { createUdpDiscard, createUdpEcho, type UdpEchoStats } from "./udp-handlers.js";
import { buildUdpService, type UdpService } from "./udp-service.js";

export interface EchoOptions {
  readonly host: string;
  /** Echo's number, for TCP and UDP alike; 0 lets the system pick (tests). */
  readonly echoPort: number;
  readonly discardPort: number;
  /** Each limit falls back to its default in ECHO_DEFAULTS (@porthost/ports). */
  readonly echo?: Partial<EchoSettings>;
  /** Each limit falls back to its default in DISCARD_DEFAULTS. */
  readonly discard?: Partial<DiscardSettings>;
  readonly logger?: Logger;
  /** Where connection events go; undefined when events are off. */
  readonly events?: EventSink | undefined;
  /** This host's broadcast addresses; tests pass their own. */
  readonly readBroadcasts?: () => Set<string>;
  /**
   * The ports of porthost's table (every service's); with echo's and discard's own bound ports,
   * a datagram from one of them on a local address is never answered.
   */
  readonly ownPorts?: readonly number[];
}

export interface EchoService {
  readonly echoTcp: TcpService;
  readonly echoUdp: UdpService;
  readonly discardTcp: TcpService;
  readonly discardUdp: UdpService;
  /** Binds all four endpoints: echo and discard, each over TCP and UDP. */
  listen(): Promise<ListeningEndpoint[]>;
  close(): Promise<void>;
  stats(): { echoUdp: UdpEchoStats; discardUdp: { discarded: number } };
}

/**
 * TCP first; with port 0 (tests) the UDP twin then tries the number TCP got, so one number
 * still names the service on both transports, and takes any free port if that one is taken.
 */
/** Every listen tried, so a failure names each port that could not be had, not only the first. */
async function allListening(attempts: readonly Promise<ListeningEndpoint[]>[]): Promise<ListeningEndpoint[]> {
  return (await listenAll(attempts)).flat();
}

/** One number on two transports: fixed ports are tried independently; port 0 puts UDP on TCP's pick. */
function pairAttempts(tcp: TcpService, udp: UdpService): Promise<ListeningEndpoint[]>[] {
  if (tcp.configuredPort !== 0) return [tcp.listen().then((e) => [e]), udp.listen().then((e) => [e])];
  return [
    tcp.listen().then(async (tcpEndpoint) => {
      try {
        return [tcpEndpoint, await udp.listen(tcpEndpoint.port)];
      } catch {
        return [tcpEndpoint, await udp.listen(0)];
      }
    }),
  ];
}

/** Echo (RFC 862) and discard (RFC 863), each on one number over TCP and UDP. */
export function buildEcho(options: EchoOptions): EchoService {
  const logger = options.logger ?? silentLogger();
  const { host, events } = options;
  const echo: EchoSettings = { ...ECHO_DEFAULTS, ...options.echo };
  const discard: DiscardSettings = { ...DISCARD_DEFAULTS, ...options.discard };
  const echoTcp = buildTcpService({
    service: "echo",
    host,
    port: options.echoPort,
    limits: echo,
    bufferBytes: echo.bufferBytes,
    handler: ECHO_HANDLER,
    logger,
    events,
  });
  const discardTcp = buildTcpService({
    service: "discard",
    host,
    port: options.discardPort,
    limits: discard,
    handler: DISCARD_HANDLER,
    logger,
    events,
  });
  const ownPorts = new Set((options.ownPorts ?? []).filter((port) => port !== 0));
  const udpEcho = createUdpEcho({
    limits: echo,
    logger,
    events,
    ownPorts,
    ...(options.readBroadcasts ? { readBroadcasts: options.readBroadcasts } : {}),
  });
  const udpDiscard = createUdpDiscard({ logger, events });
  const echoUdp = buildUdpService({
    service: "echo",
    host,
    port: options.echoPort,
    logger,
    onDatagram: udpEcho.onDatagram,
  });
  const discardUdp = buildUdpService({
    service: "discard",
    host,
    port: options.discardPort,
    logger,
    onDatagram: udpDiscard.onDatagram,
  });
  const all = [echoTcp, echoUdp, discardTcp, discardUdp];

  return {
    echoTcp,
    echoUdp,
    discardTcp,
    discardUdp,
    async listen() {
      try {
        const endpoints = await allListening([
          ...pairAttempts(echoTcp, echoUdp),
          ...pairAttempts(discardTcp, discardUdp),
        ]);
        for (const endpoint of endpoints) ownPorts.add(endpoint.port);
        return endpoints;
      } catch (error) {
        await Promise.all(all.map((s) => s.close()));
        throw error;
      }
    },
    async close() {
      await Promise.all(all.map((s) => s.close()));
    },
    stats: () => ({ echoUdp: udpEcho.stats(), discardUdp: udpDiscard.stats() }),
  };
}
