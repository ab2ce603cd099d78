import { devCaMaterial } from "@porthost/testkit";
import type { SmtpServiceName } from "../src/index.js";
import { startSmtp, type RunningSmtp } from "./start-smtp.js";

export interface RunningTlsSmtp extends RunningSmtp {
  /** Each port served, by the port table's name. */
  readonly ports: Readonly<Record<SmtpServiceName, number>>;
  /** The dev CA that signed the served leaf: what a client trusts. */
  readonly ca: string;
  readonly caPath: string;
}

/** SMTP on 25, 587 and 465 (ephemeral ports of 127.0.0.1) with a leaf from a fresh dev CA. */
export async function startTlsSmtp(options: Parameters<typeof startSmtp>[0] = {}): Promise<RunningTlsSmtp> {
  const tls = await devCaMaterial();
  const running = await startSmtp({ ...options, tls, submissionPort: 0, submissionsPort: 0 });
  const ports = Object.fromEntries(
    running.smtp.ports.map(({ service, server }) => [service, (server.server.address() as { port: number }).port]),
  ) as Record<SmtpServiceName, number>;
  return {
    ...running,
    ports,
    ca: tls.ca,
    caPath: tls.caPath,
    async stop() {
      await running.stop();
      await tls.remove();
    },
  };
}
