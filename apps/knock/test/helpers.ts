import { afterEach, expect } from "vitest";
import type { ConnectionEvent, EventSink } from "@porthost/events";
import { readConfig, type KnockSettings, type KnockStep } from "@porthost/ports";
import { buildKnock, type KnockService } from "../src/index.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

export interface Started {
  readonly app: KnockService;
  readonly sequence: readonly KnockStep[];
  readonly vaultPort: number;
  readonly events: ConnectionEvent[];
  /** Resolves with the first event (already in or still to come) that `match` accepts. */
  nextEvent(match: (event: ConnectionEvent) => boolean): Promise<ConnectionEvent>;
}

/** Knock (udp, tcp, udp) and the vault on free ports of 127.0.0.1, collecting their events. */
export async function startKnock(settings: Partial<KnockSettings> = {}): Promise<Started> {
  const events: ConnectionEvent[] = [];
  const waiters: { match: (event: ConnectionEvent) => boolean; resolve: (event: ConnectionEvent) => void }[] = [];
  let seen = 0;
  const sink: EventSink = {
    send(event) {
      events.push(event);
      for (const waiter of waiters.splice(0)) {
        if (waiter.match(event)) waiter.resolve(event);
        else waiters.push(waiter);
      }
    },
  };
  const app = buildKnock({
    host: "127.0.0.1",
    sequence: readConfig({ PORTHOST_KNOCK_PORT: "0" }, "/tmp").services.knock.sequence ?? [],
    vaultPort: 0,
    settings,
    events: sink,
  });
  const endpoints = await app.listen();
  cleanups.push(() => app.close());
  const vault = endpoints.find((e) => e.service === "vault");
  expect(vault).toBeDefined();
  return {
    app,
    sequence: app.sequence(),
    vaultPort: vault!.port,
    events,
    nextEvent(match) {
      // Events from `seen` on: each call consumes up to the event it returns, so calls read in order.
      const index = events.findIndex((event, i) => i >= seen && match(event));
      if (index !== -1) {
        seen = index + 1;
        return Promise.resolve(events[index]!);
      }
      return new Promise((resolve) =>
        waiters.push({
          match,
          resolve: (event) => {
            seen = events.indexOf(event) + 1;
            resolve(event);
          },
        }),
      );
    },
  };
}

export const from = (address: string) => (event: ConnectionEvent) => event.remoteAddress === address;
