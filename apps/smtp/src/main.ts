import { maildirDirs, maildirRoot } from "@porthost/mailstore";
import { resolveTls } from "@porthost/devcert";
import { checkDataDir } from "@porthost/ports";
import { ADDRESS_LIMIT_REPLIES, capConnectionsPerAddress, runApp } from "@porthost/runner";
import { buildSmtp } from "./app.js";

await runApp("smtp", async (config, logger, connectionEvents) => {
  checkDataDir(config.dataDir, maildirDirs(config.dataDir));
  const { users, ...limits } = config.smtp;
  const smtp = buildSmtp({
    host: config.host,
    port: config.services.smtp.port,
    maildir: maildirRoot(config.dataDir),
    logger,
    limits,
    users,
    tls: await resolveTls(config),
    maxMessages: config.mail.maxMessages,
    events: connectionEvents(),
  });
  capConnectionsPerAddress(smtp.server.server, {
    service: "smtp",
    maxPerAddress: config.connections.maxPerAddress,
    serviceMaxConnections: config.smtp.maxConnections,
    reply: ADDRESS_LIMIT_REPLIES.smtp,
    logger,
    events: connectionEvents(),
  });
  return {
    endpoints: await smtp.listen(),
    close: () => smtp.close(),
  };
});
