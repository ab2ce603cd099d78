import { maildirRoot } from "@porthost/mailstore";
import { runApp } from "@porthost/runner";
import { buildSmtp } from "./smtp-server.js";

await runApp("smtp", async (config, logger) => {
  const smtp = buildSmtp({
    host: config.host,
    port: config.services.smtp.port,
    maildir: maildirRoot(config.dataDir),
    logger,
  });
  return { endpoints: await smtp.listen(), close: () => smtp.close() };
});
