import type { Browser } from "playwright-core";
import { maildirRoot, SessionLog, sessionsRoot } from "@porthost/mailstore";
import { readConfig } from "@porthost/ports";
import { buildSmtp, type SmtpService } from "@porthost/smtp";
import { tempDir } from "@porthost/testkit";
import { buildWeb, type WebService } from "@porthost/web";
import { launchChromium } from "./chromium.js";

export interface MailHostOptions {
  /** More web settings, as environment variables (PORTHOST_HTTP_MAX_CONNECTIONS, say). */
  readonly env?: Readonly<Record<string, string>>;
  /** Keep session records, as the SMTP service does under `porthost start`. */
  readonly sessions?: boolean;
  /** Send the SMTP service's connection events straight to the web's hub, as they would go over HTTP. */
  readonly events?: boolean;
  /** Launch Chromium too (closed with the host). */
  readonly chromium?: boolean;
}

export interface MailHost {
  readonly smtp: SmtpService;
  readonly web: WebService;
  readonly smtpPort: number;
  /** http://127.0.0.1:<web port> */
  readonly base: string;
  readonly dataDir: string;
  /** The SMTP service's session records, when asked for. */
  readonly sessions: SessionLog | undefined;
  /** Chromium, when asked for. */
  readonly browser: Browser | undefined;
  close(): Promise<void>;
}

/**
 * The mail side of porthost in this process: the SMTP service and the web service over one
 * fresh data directory, each on a free port, the web knowing where SMTP listens; and Chromium
 * to look at it, when asked.
 */
export async function startMailHost(options: MailHostOptions = {}): Promise<MailHost> {
  const data = await tempDir();
  const sessions = options.sessions ? await SessionLog.open(sessionsRoot(data.dir), { max: 1000 }) : undefined;
  // The web starts after SMTP (it is told SMTP's port); events reach it once it is there.
  const late: { web?: WebService } = {};
  const smtp = buildSmtp({
    host: "127.0.0.1",
    port: 0,
    maildir: maildirRoot(data.dir),
    sessions,
    // No connection comes before the web listens, so none of its events is lost.
    events: options.events ? { send: (event) => void late.web?.hub.publish(event) } : undefined,
  });
  const smtpPort = (await smtp.listen())[0]!.port;
  const web = await buildWeb({
    config: readConfig({
      PORTHOST_HTTP_PORT: "0",
      PORTHOST_DATA_DIR: data.dir,
      PORTHOST_SMTP_ADDR: `127.0.0.1:${smtpPort}`,
      ...options.env,
    }),
  });
  late.web = web;
  const base = `http://127.0.0.1:${(await web.listen())[0]!.port}`;
  const browser = options.chromium ? await launchChromium() : undefined;
  return {
    smtp,
    web,
    smtpPort,
    base,
    dataDir: data.dir,
    sessions,
    browser,
    async close() {
      await browser?.close();
      await smtp.close();
      await sessions?.close();
      await web.close();
      await data.remove();
    },
  };
}
