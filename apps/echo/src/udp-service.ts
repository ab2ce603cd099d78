import dgram from "node:dgram";
import { isIP } from "node:net";
import type { Logger } from "@porthost/log";
import { bindUdp, type ListeningEndpoint } from "@porthost/runner";
import type { EchoServiceName } from "./connection-events.js";

export interface UdpServiceOptions {
  readonly service: EchoServiceName;
  readonly host: string;
  /** 0 lets the system pick a free port (tests). */
  readonly port: number;
  readonly logger: Logger;
  /** Handles one datagram; `socket` is the bound socket to reply from. */
  readonly onDatagram: (socket: dgram.Socket, message: Buffer, remote: dgram.RemoteInfo, localPort: number) => void;
}

export interface UdpService {
  readonly socket: dgram.Socket;
  /** Binds `port`, or the configured port when none is given. */
  listen(port?: number): Promise<ListeningEndpoint>;
  close(): Promise<void>;
}

/** A bound UDP socket that hands each datagram to `onDatagram`; errors are logged, never thrown. */
export function buildUdpService(options: UdpServiceOptions): UdpService {
  const { service, logger } = options;
  const socket = dgram.createSocket({ type: isIP(options.host) === 6 ? "udp6" : "udp4" });
  let localPort = 0;
  let bound = false;
  socket.on("message", (message, remote) => options.onDatagram(socket, message, remote, localPort));
  return {
    socket,
    async listen(port = options.port) {
      const endpoint = await bindUdp(socket, { service, transport: "udp", host: options.host, port });
      localPort = endpoint.port;
      bound = true;
      // After binding, an error (e.g. ICMP unreachable surfaced on send) must not end the process.
      socket.on("error", (error) => logger.warn({ port: localPort, err: error.message }, `${service} udp error`));
      return endpoint;
    },
    close() {
      return new Promise((resolve) => {
        if (!bound) return resolve();
        bound = false;
        socket.close(() => resolve());
      });
    },
  };
}
