import { capConnectionsPerAddress, runApp } from "@porthost/runner";
import { buildKnock, KNOCK_MAX_CONNECTIONS } from "./app.js";

await runApp("knock", async (config, logger, connectionEvents) => {
  const app = buildKnock({
    host: config.host,
    sequence: config.services.knock.sequence ?? [],
    vaultPort: config.services.vault.port,
    settings: config.knock,
    logger,
    events: connectionEvents(),
  });
  for (const [service, server] of [
    ["vault", app.vault] as const,
    ...app.knockServers.map((s) => ["knock", s] as const),
  ])
    capConnectionsPerAddress(server, {
      service,
      maxPerAddress: config.connections.maxPerAddress,
      serviceMaxConnections: KNOCK_MAX_CONNECTIONS,
      logger,
      events: connectionEvents(),
    });
  return {
    endpoints: await app.listen(),
    close: () => app.close(),
  };
});
