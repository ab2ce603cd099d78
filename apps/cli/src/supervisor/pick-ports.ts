import dgram from "node:dgram";
import { once } from "node:events";
import net from "node:net";
import {
  explainListenError,
  KNOCK_SEQUENCE_VARIABLE,
  portVariable,
  serviceSpec,
  type PorthostConfig,
  type ResolvedService,
  type ServiceName,
  type Transport,
} from "@porthost/ports";

/** Numbers tried for a service on TCP and UDP at once before giving up: each one taken on the other transport. */
const ATTEMPTS = 20;

interface HeldPort {
  readonly port: number;
  close(): Promise<void>;
}

/** Binds `port` (0: any) on one transport and keeps it until closed. */
async function hold(transport: Transport, host: string, port: number): Promise<HeldPort> {
  if (transport === "tcp") {
    const server = net.createServer();
    server.listen({ host, port, exclusive: true });
    await once(server, "listening");
    return {
      port: (server.address() as net.AddressInfo).port,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }
  const socket = dgram.createSocket(net.isIPv6(host) ? "udp6" : "udp4");
  socket.bind({ address: host, port, exclusive: true });
  await once(socket, "listening");
  return { port: socket.address().port, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}

/**
 * A number free on every one of `transports` (echo's 7 is one number on TCP and UDP), held on
 * each. A host that cannot be bound fails as the app itself would, with one line (explainListenError).
 */
async function holdFree(host: string, service: ServiceName, transports: readonly Transport[]): Promise<HeldPort[]> {
  const [first, ...others] = transports;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const held: HeldPort[] = [];
    let transport = first!;
    try {
      held.push(await hold(transport, host, 0));
      for (transport of others) held.push(await hold(transport, host, held[0]!.port));
      return held;
    } catch (error) {
      await Promise.all(held.map((h) => h.close()));
      // Taken on the second transport: another number.
      if (held.length > 0 && (error as NodeJS.ErrnoException).code === "EADDRINUSE") continue;
      throw explainListenError(error, { service, transport, host, port: held[0]?.port ?? 0 });
    }
  }
  throw new Error(`no port on ${host} was free on ${transports.join(" and ")} for ${service} in ${ATTEMPTS} tries`);
}

/**
 * The knock steps at port 0 (PORTHOST_KNOCK_PORT=0), grouped as the well-known sequence groups
 * them: 1022/udp and 1022/tcp share a number, so their picks do too.
 */
function zeroStepGroups(service: ResolvedService): Map<number, number[]> {
  const spec = serviceSpec(service.name).sequence ?? [];
  const groups = new Map<number, number[]>();
  service.sequence?.forEach((step, i) => {
    if (step.port !== 0) return;
    const key = spec[i]?.port ?? -1 - i;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  return groups;
}

/**
 * `PORTHOST_<SERVICE>_PORT=0` lets the system pick: `porthost start` asks it once, before any app
 * starts, and hands every app the numbers it got as ordinary settings. So the table's "try it",
 * the switchboard's /api/ports, every app's events and a restarted app all name the same port,
 * where each app asking the kernel for itself would leave the others saying 0. Every number is
 * held until all are picked, so no two services get the same one; an app then binds it a moment
 * later (another program taking it in between gets the usual "already in use" line).
 */
export async function pickPorts(config: PorthostConfig): Promise<Record<string, string>> {
  const picked: Record<string, string> = {};
  const held: HeldPort[] = [];
  try {
    for (const service of Object.values(config.services)) {
      if (!service.implemented) continue;
      if (service.sequence) {
        const groups = zeroStepGroups(service);
        if (groups.size === 0) continue;
        const ports = service.sequence.map((step) => step.port);
        for (const steps of groups.values()) {
          const transports = [...new Set(steps.map((i) => service.sequence![i]!.transport))];
          const numbers = await holdFree(config.host, service.name, transports);
          held.push(...numbers);
          for (const i of steps) ports[i] = numbers[0]!.port;
        }
        picked[KNOCK_SEQUENCE_VARIABLE] = service.sequence.map((step, i) => `${ports[i]}:${step.transport}`).join(",");
      } else if (service.port === 0) {
        const numbers = await holdFree(config.host, service.name, service.transports);
        held.push(...numbers);
        picked[portVariable(service.name)] = String(numbers[0]!.port);
      }
    }
  } finally {
    await Promise.all(held.map((h) => h.close()));
  }
  return picked;
}
