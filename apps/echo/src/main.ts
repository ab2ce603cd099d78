import { createEventSender } from "@porthost/events";
import { runApp } from "@porthost/runner";
import { buildEchoApp } from "./echo-app.js";

await runApp("echo", async (config, logger) => {
  const sender = createEventSender({ target: config.services.http.addr, token: config.events.token, logger });
  const app = buildEchoApp({
    host: config.host,
    echoPort: config.services.echo.port,
    discardPort: config.services.discard.port,
    echo: config.echo,
    discard: config.discard,
    logger,
    events: sender.enabled ? sender : undefined,
  });
  return {
    endpoints: await app.listen(),
    async close() {
      await app.close();
      await sender.close();
    },
  };
});
