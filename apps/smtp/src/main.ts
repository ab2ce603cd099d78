import { createEventSender } from "@porthost/events";
import { maildirRoot } from "@porthost/mailstore";
import { readTlsMaterial } from "@porthost/ports";
import { runApp } from "@porthost/runner";
import { buildSmtp } from "./smtp-server.js";

await runApp("smtp", async (config, logger) => {
  const { tls, users, ...limits } = config.smtp;
  const sender = createEventSender({ target: config.services.http.addr, token: config.events.token, logger });
  const smtp = buildSmtp({
    host: config.host,
    port: config.services.smtp.port,
    maildir: maildirRoot(config.dataDir),
    logger,
    limits,
    users,
    ...(tls ? { tls: readTlsMaterial(tls) } : {}),
    maxMessages: config.mail.maxMessages,
    events: sender.enabled ? sender : undefined,
  });
  return {
    endpoints: await smtp.listen(),
    async close() {
      await smtp.close();
      await sender.close();
    },
  };
});
