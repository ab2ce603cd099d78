import type { AddressInfo, Server } from "node:net";
import type { Socket as UdpSocket } from "node:dgram";
import { combineListenErrors, explainListenError, type ListenTarget } from "@porthost/ports";

/** A target after listening: `port` is the real one (0 resolved by the system). */
export type ListeningEndpoint = ListenTarget;

/** Listens a TCP server on its target; a taken or privileged port rejects with a one-line PortConfigError. */
export function listenTcp(server: Server, target: ListenTarget): Promise<ListeningEndpoint> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off("listening", onListening);
      reject(explainListenError(error, target));
    };
    const onListening = (): void => {
      server.off("error", onError);
      const address = server.address() as AddressInfo;
      resolve({ ...target, port: address.port });
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen({ port: target.port, host: target.host });
  });
}

/** Binds a UDP socket on its target, with the same one-line errors as listenTcp. */
export function bindUdp(socket: UdpSocket, target: ListenTarget): Promise<ListeningEndpoint> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      socket.off("listening", onListening);
      reject(explainListenError(error, target));
    };
    const onListening = (): void => {
      socket.off("error", onError);
      resolve({ ...target, port: socket.address().port });
    };
    socket.once("error", onError);
    socket.once("listening", onListening);
    socket.bind({ port: target.port, address: target.host });
  });
}

/**
 * Waits for every listen an app tries, so that a failure names each port that could not be had
 * (a second `porthost start` hears of every busy port, not only an app's first); the caller
 * closes what did listen.
 */
export async function listenAll<T>(attempts: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(attempts);
  const failures = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as unknown] : []));
  if (failures.length > 0) throw combineListenErrors(failures);
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
