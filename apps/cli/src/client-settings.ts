import path from "node:path";
import {
  clientHost,
  DEFAULT_DATA_DIR,
  DEFAULT_HOST,
  DEFAULT_PORT_OFFSET,
  portVariable,
  type PorthostConfig,
} from "@porthost/ports";
import type { ListeningEndpoint } from "@porthost/runner";

/**
 * The settings that another terminal's `npx porthost` (send, echo, mail, scan) needs to find
 * these services: the ones that differ from the defaults, as `NAME=value`. Empty by default.
 */
export function clientSettings(
  config: PorthostConfig,
  endpoints: readonly ListeningEndpoint[],
  cwd: string = process.cwd(),
): string[] {
  const settings: string[] = [];
  if (clientHost(config.host) !== DEFAULT_HOST) settings.push(`PORTHOST_HOST=${config.host}`);
  if (config.portOffset !== DEFAULT_PORT_OFFSET) settings.push(`PORTHOST_PORT_OFFSET=${config.portOffset}`);
  for (const service of Object.values(config.services)) {
    const bound = endpoints.find((e) => e.service === service.name)?.port;
    if (bound !== undefined && bound !== service.wellKnownPort + config.portOffset) {
      settings.push(`${portVariable(service.name)}=${bound}`);
    }
  }
  if (config.dataDir !== path.resolve(cwd, DEFAULT_DATA_DIR)) settings.push(`PORTHOST_DATA_DIR=${config.dataDir}`);
  return settings;
}
