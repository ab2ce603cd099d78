import { runApp } from "@porthost/runner";
import { buildWeb } from "./app.js";

await runApp("web", async (config, logger) => {
  const web = await buildWeb({ config, logger });
  return { endpoints: await web.listen(), close: () => web.close() };
});
