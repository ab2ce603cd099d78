import { maildirRoot } from "@porthost/mailstore";
import { readTlsMaterial } from "@porthost/ports";
import { runApp } from "@porthost/runner";
import { buildPop3 } from "./app.js";

await runApp("pop3", async (config, logger, connectionEvents) => {
  const { tls, ...settings } = config.pop3;
  const pop3 = buildPop3({
    host: config.host,
    port: config.services.pop3.port,
    maildir: maildirRoot(config.dataDir),
    logger,
    settings,
    ...(tls ? { tls: readTlsMaterial(tls) } : {}),
    events: connectionEvents(),
  });
  return {
    endpoints: await pop3.listen(),
    close: () => pop3.close(),
  };
});
