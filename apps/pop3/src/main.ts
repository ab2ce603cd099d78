import { maildirDirs, maildirRoot, SessionLog, sessionsRoot } from "@porthost/mailstore";
import { resolveTls } from "@porthost/devcert";
import { checkDataDir } from "@porthost/ports";
import { ADDRESS_LIMIT_REPLIES, capConnectionsPerAddress, runApp } from "@porthost/runner";
import { buildPop3 } from "./app.js";

await runApp("pop3", async (config, logger, connectionEvents) => {
  checkDataDir(config.dataDir, maildirDirs(config.dataDir));
  const sessions = await SessionLog.open(sessionsRoot(config.dataDir), {
    max: config.mail.maxSessions,
    onError: (error) => logger.warn({ err: error }, "a session record could not be written"),
  });
  const pop3 = buildPop3({
    host: config.host,
    port: config.services.pop3.port,
    pop3sPort: config.services.pop3s.port,
    maildir: maildirRoot(config.dataDir),
    logger,
    settings: config.pop3,
    tls: await resolveTls(config),
    events: connectionEvents(),
    sessions,
  });
  const limit = { maxPerAddress: config.connections.maxPerAddress, serviceMaxConnections: config.pop3.maxConnections };
  capConnectionsPerAddress(pop3.server, {
    service: "pop3",
    ...limit,
    reply: ADDRESS_LIMIT_REPLIES.pop3,
    logger,
    events: connectionEvents(),
  });
  // Before the handshake on 995 a plain-text -ERR is only noise to a TLS client: it is just closed.
  if (pop3.pop3sServer)
    capConnectionsPerAddress(pop3.pop3sServer, { service: "pop3s", ...limit, logger, events: connectionEvents() });
  return {
    endpoints: await pop3.listen(),
    close: () => pop3.close().finally(() => sessions.close()),
  };
});
