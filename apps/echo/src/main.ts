import { runApp } from "@porthost/runner";
import { buildEcho } from "./echo-server.js";

await runApp("echo", async (config, logger) => {
  const echo = buildEcho({ host: config.host, port: config.services.echo.port, logger });
  return { endpoints: await echo.listen(), close: () => echo.close() };
});
