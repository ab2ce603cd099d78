import { maildirDirs } from "@porthost/mailstore";
import { resolveTls } from "@porthost/devcert";
import { checkDataDir } from "@porthost/ports";
import { runApp } from "@porthost/runner";
import { buildWeb } from "./app.js";

await runApp("web", async (config, logger) => {
  checkDataDir(config.dataDir, maildirDirs(config.dataDir));
  const web = await buildWeb({ config, logger, tls: await resolveTls(config) });
  return {
    endpoints: await web.listen(),
    close: () => web.close(),
    onRestarts: (restarts) => web.hub.restarts.replace(restarts),
  };
});
