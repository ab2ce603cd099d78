import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONNECTION_DEFAULTS, DISCARD_DEFAULTS, ECHO_DEFAULTS, POP3_DEFAULTS, SMTP_DEFAULTS } from "@porthost/ports";
import { ADDRESS_SHARE } from "@porthost/runner";
import { recordProbe } from "./probe-table.js";
import { startHostileHost, type HostileHost } from "./hostile-host.js";
import { ATTACKER, OTHER_CLIENT, holdConnections } from "./http-client.js";

/** The attacker opens more than the cap allows one address, and more than SMTP's 200 in all. */
const ATTACK_CONNECTIONS = 250;
const FIRST_WORDS_TIMEOUT_MS = 15_000; // 15 s
const SERVICE_LIMITS: Readonly<Record<string, number>> = {
  smtp: SMTP_DEFAULTS.maxConnections,
  pop3: POP3_DEFAULTS.maxConnections,
  echo: ECHO_DEFAULTS.maxConnections,
  discard: DISCARD_DEFAULTS.maxConnections,
};

let host: HostileHost;
beforeAll(async () => {
  host = await startHostileHost();
});
afterAll(() => host.close());

/** The first line a fresh connection from `from` hears, "(closed)" when closed without a word, "(nothing)" on a hang. */
function firstLine(port: number, from: string, say = ""): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port, localAddress: from });
    let text = "";
    const done = (line: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(line);
    };
    const timer = setTimeout(() => done("(nothing)"), FIRST_WORDS_TIMEOUT_MS);
    socket.on("connect", () => socket.write(say));
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes("\n")) done(text.slice(0, text.indexOf("\n")).trimEnd());
    });
    socket.on("error", () => done(text || "(closed)"));
    socket.on("close", () => done(text || "(closed)"));
  });
}

describe("per-address connection cap on the TCP services", () => {
  it.each([
    ["smtp", "smtp", /^421 4\.7\.0 Too many connections from your address/, /^220 /, ""],
    ["pop3", "pop3", /^-ERR \[SYS\/TEMP\] too many connections from your address/, /^\+OK/, ""],
    ["echo", "echo", /^\(closed\)$/, /^ping$/, "ping\n"],
    ["discard", "discard", /^\(closed\)$/, /^\(nothing\)$/, ""],
  ])(
    "%s: one address past the cap hears why; another address is served",
    async (_name, service, refusal, served, say) => {
      const port = host.port(service);
      const max = Math.min(CONNECTION_DEFAULTS.maxPerAddress, Math.floor(SERVICE_LIMITS[service]! * ADDRESS_SHARE));
      const held = await holdConnections(port, max, ATTACKER, "");
      try {
        const extra = await firstLine(port, ATTACKER, say);
        const other = await firstLine(port, OTHER_CLIENT, say);
        // Discard never answers: served means the connection stayed open, refused means closed.
        const ok = refusal.test(extra) && (service === "discard" ? other !== "(closed)" : served.test(other));
        expect(
          recordProbe({
            probe: `${service.toUpperCase()}: ${max} connections held from 127.0.0.1, then one more from each address`,
            limit: `past ${max} from one address: ${service === "smtp" ? "421" : service === "pop3" ? "-ERR" : "closed"}; 127.0.0.2 served`,
            observed: `127.0.0.1: ${extra.slice(0, 44)}; 127.0.0.2: ${other.slice(0, 20)}`,
            held: ok,
          }),
        ).toBe(true);
      } finally {
        held.release();
      }
    },
  );

  it(`SMTP: ${ATTACK_CONNECTIONS} connections from one address leave room for another`, async () => {
    const port = host.port("smtp");
    const held = await holdConnections(port, ATTACK_CONNECTIONS, ATTACKER, "");
    try {
      const greetings = await Promise.all(Array.from({ length: 20 }, () => firstLine(port, OTHER_CLIENT)));
      const greeted = greetings.filter((line) => line.startsWith("220 ")).length;
      expect(
        recordProbe({
          probe: `SMTP: ${ATTACK_CONNECTIONS} connections held from 127.0.0.1 (the limit is 200 in all)`,
          limit: "≥ 90% of 20 clients from 127.0.0.2 greeted 220",
          observed: `${greeted}/20 greeted`,
          held: greeted >= 18,
        }),
      ).toBe(true);
    } finally {
      held.release();
    }
  });
});
