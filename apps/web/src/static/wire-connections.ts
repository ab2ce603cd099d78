import type { Server } from "node:http";
import type { Socket } from "node:net";
import { readSimpleRequest, type SimpleRequest } from "./simple-request.js";

/** The bytes of a whole response to a simple request, in order, or undefined to leave it to node. */
export type WireAnswer = (request: SimpleRequest, socket: Socket) => readonly Buffer[] | undefined;

export interface WireLimits {
  /** Node's maxHeaderSize: a longer request head goes to node, which answers 431. */
  readonly maxHeaderBytes: number;
  /** How long a new connection may stay silent. */
  readonly headersTimeoutMs: number;
  /** How long a connection may stay idle after an answer. */
  readonly keepAliveTimeoutMs: number;
}

export interface WireFastPath {
  /** Ends the connections still held here (all idle between reads), as server.close() does for node's. */
  closeIdle(): void;
}

/** What node's own server writes when a request's head does not arrive in time. */
const REQUEST_TIMEOUT = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n";

/**
 * Puts a fast path in front of node's HTTP parser, on the raw socket: while a connection sends
 * complete simple requests (GET or HEAD over HTTP/1.1, see readSimpleRequest) that `answer`
 * knows, they are answered straight from the bytes read, as nginx does, skipping the parser,
 * IncomingMessage and ServerResponse. The first request that is anything else (incomplete in
 * the bytes read, malformed, with a body, a path `answer` does not know) and every byte after
 * it go to node's own connection handler, so node parses, times out, limits and answers it
 * (and the rest of that connection) by its full rules. The server keeps listening itself, so
 * maxConnections and node's timeout checks hold as before.
 */
export function installWireFastPath(server: Server, answer: WireAnswer, limits: WireLimits): WireFastPath {
  const listeners = server.listeners("connection");
  const nodeListener = listeners[0];
  if (listeners.length !== 1 || typeof nodeListener !== "function") {
    throw new Error("the wire fast path must be installed on a new http.Server, before other connection listeners");
  }
  server.removeListener("connection", nodeListener as (socket: Socket) => void);
  const held = new Set<Socket>();

  server.on("connection", (socket: Socket) => {
    let answered = false;
    held.add(socket);

    const handOff = (rest: Buffer): void => {
      held.delete(socket);
      socket.removeListener("data", onData);
      socket.removeListener("timeout", onTimeout);
      socket.removeListener("error", onError);
      socket.removeListener("close", onClose);
      socket.setTimeout(0);
      socket.pause();
      if (rest.length > 0) socket.unshift(rest);
      nodeListener.call(server, socket);
      socket.resume();
    };

    const onData = (chunk: Buffer): void => {
      let at = 0;
      while (at < chunk.length) {
        const request = readSimpleRequest(chunk, at, limits.maxHeaderBytes);
        const buffers = request && answer(request, socket);
        if (!request || !buffers) return handOff(chunk.subarray(at));
        if (buffers.length === 1) socket.write(buffers[0] as Buffer);
        else {
          socket.cork();
          for (const buffer of buffers) socket.write(buffer);
          socket.uncork();
        }
        at = request.end;
      }
      if (!answered) {
        answered = true;
        socket.setTimeout(limits.keepAliveTimeoutMs);
      }
      // A client that sends requests faster than it reads answers waits for them to drain.
      if (socket.writableNeedDrain) {
        socket.pause();
        socket.once("drain", () => socket.resume());
      }
    };
    const onTimeout = (): void => {
      if (answered) socket.destroy();
      else socket.end(REQUEST_TIMEOUT);
    };
    const onError = (): void => {
      socket.destroy();
    };
    const onClose = (): void => {
      held.delete(socket);
    };

    socket.setTimeout(limits.headersTimeoutMs);
    socket.on("data", onData);
    socket.on("timeout", onTimeout);
    socket.on("error", onError);
    socket.on("close", onClose);
  });

  return {
    closeIdle() {
      for (const socket of held) {
        if (socket.writableLength === 0) socket.destroy();
        else socket.end();
      }
      held.clear();
    },
  };
}
