import { maildirDirs, maildirRoot, SessionLog, sessionsRoot } from "@porthost/mailstore";
import { resolveTls } from "@porthost/devcert";
import { checkDataDir } from "@porthost/ports";
import { ADDRESS_LIMIT_REPLIES, capConnectionsPerAddress, runApp } from "@porthost/runner";
import { buildSmtp } from "./app.js";

await runApp("smtp", async (config, logger, connectionEvents) => {
  checkDataDir(config.dataDir, maildirDirs(config.dataDir));
  const { users, ...limits } = config.smtp;
  const sessions = await SessionLog.open(sessionsRoot(config.dataDir), {
    max: config.mail.maxSessions,
    onError: (error) => logger.warn({ err: error }, "a session record could not be written"),
  });
  const smtp = buildSmtp({
    host: config.host,
    port: config.services.smtp.port,
    submissionPort: config.services.submission.port,
    submissionsPort: config.services.submissions.port,
    maildir: maildirRoot(config.dataDir),
    logger,
    limits,
    users,
    tls: await resolveTls(config),
    maxMessages: config.mail.maxMessages,
    events: connectionEvents(),
    sessions,
  });
  for (const { service, server, implicitTls } of smtp.ports) {
    capConnectionsPerAddress(server.server, {
      service,
      maxPerAddress: config.connections.maxPerAddress,
      serviceMaxConnections: config.smtp.maxConnections,
      // Before the handshake on 465 a plain-text 421 is only noise to a TLS client: it is just closed.
      reply: implicitTls ? undefined : ADDRESS_LIMIT_REPLIES.smtp,
      logger,
      events: connectionEvents(),
    });
  }
  return {
    endpoints: await smtp.listen(),
    close: () => smtp.close().finally(() => sessions.close()),
  };
});
