import { createEventSender } from "@porthost/events";
import { maildirRoot } from "@porthost/mailstore";
import { readTlsMaterial } from "@porthost/ports";
import { runApp } from "@porthost/runner";
import { buildPop3 } from "./pop3-app.js";

await runApp("pop3", async (config, logger) => {
  const { tls, ...settings } = config.pop3;
  const sender = createEventSender({ target: config.services.http.addr, token: config.events.token, logger });
  const pop3 = buildPop3({
    host: config.host,
    port: config.services.pop3.port,
    maildir: maildirRoot(config.dataDir),
    logger,
    settings,
    ...(tls ? { tls: readTlsMaterial(tls) } : {}),
    events: sender.enabled ? sender : undefined,
  });
  return {
    endpoints: await pop3.listen(),
    async close() {
      await pop3.close();
      await sender.close();
    },
  };
});
