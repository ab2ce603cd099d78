import type net from "node:net";

/** What a TCP service does with each accepted socket, and how it lets go of it on shutdown. */
export interface TcpHandler {
  serve(socket: net.Socket): void;
  /** Called on shutdown: finish what is in flight and end our side. */
  stop(socket: net.Socket): void;
}

/**
 * RFC 862 echo: pipe applies backpressure (a client that does not read stops our reads once
 * the socket's buffer is full) and, with allowHalfOpen, ends our side once the client ended
 * its side and every byte went back.
 */
export const ECHO_HANDLER: TcpHandler = {
  serve(socket) {
    socket.pipe(socket);
  },
  stop(socket) {
    socket.unpipe(socket);
    socket.end();
    // Keep reading (and dropping) so the client's FIN is seen and the socket closes.
    socket.resume();
  },
};

/** RFC 863 discard: read and drop until the client closes; never send. */
export const DISCARD_HANDLER: TcpHandler = {
  serve(socket) {
    socket.on("end", () => socket.end());
    socket.resume();
  },
  stop(socket) {
    socket.end();
  },
};
