import { buildEcho, type EchoService } from "@porthost/echo";
import { resolveTls } from "@porthost/devcert";
import { createEventSender, type ConnectionEvent, type EventSender } from "@porthost/events";
import { maildirRoot } from "@porthost/mailstore";
import { readConfig, type PorthostConfig } from "@porthost/ports";
import { buildPop3, type Pop3Service } from "@porthost/pop3";
import { buildSmtp, type SmtpService } from "@porthost/smtp";
import { freePort, tempDir } from "@porthost/testkit";
import { buildWeb, type WebService } from "@porthost/web";

const TOKEN = "switchboard-test-token-0123456789";

export interface SwitchboardHost {
  readonly config: PorthostConfig;
  readonly url: string;
  readonly ports: {
    readonly http: number;
    readonly https: number;
    readonly smtp: number;
    readonly pop3: number;
    readonly echo: number;
    readonly discard: number;
  };
  /** Stops the web service and starts a new one on the same port: the page's stream drops and comes back. */
  restartWeb(pauseMs: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Every service in this process on ports the system picks, wired as `porthost start` wires them:
 * SMTP and echo report connections to the web service, whose config names their real ports, so
 * /api/ports, /api/send and /api/echo all point at the live sockets.
 */
export async function startSwitchboardHost(options: { portOffset?: number } = {}): Promise<SwitchboardHost> {
  const offset = options.portOffset;
  const data = await tempDir("porthost-switchboard-");
  // SMTP, POP3 and echo report to the web service, which does not exist yet: they get a sink filled in later.
  const late: { sender?: EventSender } = {};
  const lateSink = { send: (event: ConnectionEvent) => late.sender?.send(event) };
  // With an offset, the services take their teaching numbers (8025, ...), as npm start does.
  const at = (wellKnown: number) => (offset === undefined ? 0 : wellKnown + offset);
  // SMTP and POP3 share one Maildir, as npm start's processes share the data directory.
  const mail = (wellKnown: number) => ({
    host: "127.0.0.1",
    port: at(wellKnown),
    maildir: maildirRoot(data.dir),
    events: lateSink,
  });
  const smtp: SmtpService = buildSmtp(mail(25));
  const [smtpEndpoint] = await smtp.listen();
  const pop3: Pop3Service = buildPop3(mail(110));
  const [pop3Endpoint] = await pop3.listen();
  const echo: EchoService = buildEcho({ host: "127.0.0.1", echoPort: at(7), discardPort: at(9), events: lateSink });
  const echoEndpoints = await echo.listen();
  const portOf = (service: string) => echoEndpoints.find((e) => e.service === service)!.port;
  const ports = {
    http: offset === undefined ? await freePort() : at(80),
    https: offset === undefined ? await freePort() : at(443),
    smtp: smtpEndpoint!.port,
    pop3: pop3Endpoint!.port,
    echo: portOf("echo"),
    discard: portOf("discard"),
  };
  const config = readConfig({
    PORTHOST_HOST: "127.0.0.1",
    ...(offset === undefined ? {} : { PORTHOST_PORT_OFFSET: String(offset) }),
    PORTHOST_DATA_DIR: data.dir,
    PORTHOST_EVENTS_TOKEN: TOKEN,
    PORTHOST_HTTP_PORT: String(ports.http),
    PORTHOST_HTTPS_PORT: String(ports.https),
    PORTHOST_SMTP_PORT: String(ports.smtp),
    PORTHOST_POP3_PORT: String(ports.pop3),
    PORTHOST_ECHO_PORT: String(ports.echo),
    PORTHOST_DISCARD_PORT: String(ports.discard),
  });
  // The web serves https too, with the dev CA made in this data directory, as porthost start does.
  const tls = await resolveTls(config);
  let web: WebService = await buildWeb({ config, tls });
  await web.listen();
  const sender = createEventSender({ target: { host: "127.0.0.1", port: ports.http }, token: TOKEN, flushDelayMs: 10 });
  late.sender = sender;
  return {
    config,
    url: `http://127.0.0.1:${ports.http}`,
    ports,
    async restartWeb(pauseMs) {
      await web.close();
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      web = await buildWeb({ config, tls });
      await web.listen();
    },
    async close() {
      await Promise.all([smtp.close(), pop3.close(), echo.close()]);
      await sender.close();
      await web.close();
      await data.remove();
    },
  };
}
