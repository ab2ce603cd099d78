import { capConnectionsPerAddress, runApp } from "@porthost/runner";
import { buildEcho } from "./app.js";

await runApp("echo", async (config, logger, connectionEvents) => {
  const app = buildEcho({
    host: config.host,
    echoPort: config.services.echo.port,
    discardPort: config.services.discard.port,
    echo: config.echo,
    discard: config.discard,
    logger,
    events: connectionEvents(),
    ownPorts: Object.values(config.services).map((service) => service.port),
  });
  for (const { service, server, limit } of [
    { service: "echo", server: app.echoTcp.server, limit: config.echo.maxConnections },
    { service: "discard", server: app.discardTcp.server, limit: config.discard.maxConnections },
  ])
    capConnectionsPerAddress(server, {
      service,
      maxPerAddress: config.connections.maxPerAddress,
      serviceMaxConnections: limit,
      logger,
      events: connectionEvents(),
    });
  return {
    endpoints: await app.listen(),
    close: () => app.close(),
  };
});
