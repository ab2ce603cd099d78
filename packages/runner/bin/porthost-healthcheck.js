#!/usr/bin/env node
// Committed plain JS so the image and compose can call it by a fixed path once dist is built.
import { runHealthcheck } from "../dist/healthcheck-cli.js";

process.exitCode = await runHealthcheck(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
