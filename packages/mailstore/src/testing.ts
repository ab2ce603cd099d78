import type { Envelope } from "./message-schemas.js";

/**
 * An SMTP envelope for tests and benchmarks (`@porthost/mailstore/testing`): ann to bob over
 * plain ESMTP, received now; `change` sets any field.
 */
export function testEnvelope(change: Partial<Envelope> = {}): Envelope {
  return {
    mailFrom: "ann@example.test",
    rcptTo: ["bob@example.test"],
    client: { address: "127.0.0.1", port: 40000, helo: "client.test" },
    server: { address: "127.0.0.1", port: 8025 },
    tls: null,
    authUser: null,
    receivedAt: new Date().toISOString(),
    smtputf8: false,
    body: null,
    ...change,
  };
}
