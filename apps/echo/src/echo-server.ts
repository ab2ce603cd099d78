import net from "node:net";
import { connectionFields, silentLogger, type Logger } from "@porthost/log";
import { listenTcp, type ListeningEndpoint } from "@porthost/runner";

export interface EchoOptions {
  readonly host: string;
  /** 0 lets the system pick a free port (tests). */
  readonly port: number;
  readonly logger?: Logger;
}

export interface EchoServer {
  listen(): Promise<ListeningEndpoint[]>;
  /** Stops accepting, ends every open connection once its echoed bytes are flushed. */
  close(): Promise<void>;
  readonly tcp: net.Server;
}

/** RFC 862 echo over TCP: every byte received is sent back, in order, with backpressure (pipe). */
export function buildEcho(options: EchoOptions): EchoServer {
  const logger = options.logger ?? silentLogger();
  const sockets = new Set<net.Socket>();

  const tcp = net.createServer((socket) => {
    const started = Date.now();
    const fields = connectionFields(socket);
    sockets.add(socket);
    logger.debug(fields, "connection opened");
    socket.pipe(socket);
    socket.on("error", (error) => logger.debug({ ...fields, err: error.message }, "connection error"));
    socket.on("close", () => {
      sockets.delete(socket);
      logger.info(
        { ...fields, bytesIn: socket.bytesRead, bytesOut: socket.bytesWritten, durationMs: Date.now() - started },
        "echo connection closed",
      );
    });
  });

  return {
    tcp,
    async listen() {
      return [await listenTcp(tcp, { service: "echo", transport: "tcp", host: options.host, port: options.port })];
    },
    close() {
      return new Promise((resolve) => {
        if (!tcp.listening) return resolve();
        tcp.close(() => resolve());
        for (const socket of sockets) {
          socket.unpipe(socket);
          socket.end();
        }
      });
    },
  };
}
