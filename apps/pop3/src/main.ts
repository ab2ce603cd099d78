import { maildirDirs, maildirRoot } from "@porthost/mailstore";
import { resolveTls } from "@porthost/devcert";
import { checkDataDir } from "@porthost/ports";
import { ADDRESS_LIMIT_REPLIES, capConnectionsPerAddress, runApp } from "@porthost/runner";
import { buildPop3 } from "./app.js";

await runApp("pop3", async (config, logger, connectionEvents) => {
  checkDataDir(config.dataDir, maildirDirs(config.dataDir));
  const pop3 = buildPop3({
    host: config.host,
    port: config.services.pop3.port,
    maildir: maildirRoot(config.dataDir),
    logger,
    settings: config.pop3,
    tls: await resolveTls(config),
    events: connectionEvents(),
  });
  capConnectionsPerAddress(pop3.server, {
    service: "pop3",
    maxPerAddress: config.connections.maxPerAddress,
    serviceMaxConnections: config.pop3.maxConnections,
    reply: ADDRESS_LIMIT_REPLIES.pop3,
    logger,
    events: connectionEvents(),
  });
  return {
    endpoints: await pop3.listen(),
    close: () => pop3.close(),
  };
});
