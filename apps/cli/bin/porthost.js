#!/usr/bin/env node
// Committed plain JS so npm can link the bin before the TypeScript is built. In a source
// checkout the first run builds the command (and what it needs) with turbo, then runs it.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ENTRY = new URL("../dist/bin.js", import.meta.url);
const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const TURBO = `${REPO}node_modules/.bin/turbo`;
const BUILD_PROGRESS = `${REPO}scripts/build-progress.mjs`;

/** A module of this repository's own build (some package's dist/) that is not there yet. */
function isUnbuilt(error) {
  return (
    error?.code === "ERR_MODULE_NOT_FOUND" &&
    String(error.message).includes(`${REPO}`) &&
    /\/dist\//.test(error.message)
  );
}

/**
 * Builds the command and its workspace dependencies, a line per package as it goes
 * (scripts/build-progress.mjs); turbo's log is shown only if that fails.
 */
function build() {
  if (!existsSync(TURBO) || !existsSync(BUILD_PROGRESS)) {
    process.stderr.write(
      "porthost: the command is not built and turbo is not installed here: run `npm ci && npm run build`\n",
    );
    process.exit(2);
  }
  process.stderr.write("porthost: building the command first (once)\n");
  const result = spawnSync(process.execPath, [BUILD_PROGRESS, "--filter=@porthost/cli..."], {
    cwd: REPO,
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (result.status !== 0) {
    process.stderr.write(
      `porthost: the build failed (above${result.error ? `: ${result.error.message}` : ""}); run \`npm run build\` to see it again\n`,
    );
    process.exit(2);
  }
}

if (!existsSync(ENTRY)) build();
try {
  await import(ENTRY.href);
} catch (error) {
  if (!isUnbuilt(error)) throw error;
  // dist/bin.js was there but a package it imports was not built. Node remembers a failed
  // import, so build, then run the command again in a fresh process.
  build();
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => undefined); // the child handles them
  const again = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit",
  });
  process.exit(again.status ?? 1);
}
