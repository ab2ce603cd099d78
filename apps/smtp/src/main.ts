import { maildirRoot } from "@porthost/mailstore";
import { readTlsMaterial } from "@porthost/ports";
import { runApp } from "@porthost/runner";
import { buildSmtp } from "./app.js";

await runApp("smtp", async (config, logger, connectionEvents) => {
  const { tls, users, ...limits } = config.smtp;
  const smtp = buildSmtp({
    host: config.host,
    port: config.services.smtp.port,
    maildir: maildirRoot(config.dataDir),
    logger,
    limits,
    users,
    ...(tls ? { tls: readTlsMaterial(tls) } : {}),
    maxMessages: config.mail.maxMessages,
    events: connectionEvents(),
  });
  return {
    endpoints: await smtp.listen(),
    close: () => smtp.close(),
  };
});
