import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { composeApps, renderComposeFile } from "./compose-file.js";

/** The repository root's docker-compose.yml, from packages/compose/{src,dist}/. */
export const COMPOSE_FILE_PATH = fileURLToPath(new URL("../../../docker-compose.yml", import.meta.url));

await writeFile(COMPOSE_FILE_PATH, renderComposeFile());
process.stdout.write(`wrote ${COMPOSE_FILE_PATH} (services: ${[...composeApps().keys()].join(", ")})\n`);
