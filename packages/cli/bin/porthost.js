#!/usr/bin/env node
// Committed plain JS so npm can link the bin before the TypeScript is built.
try {
  await import("../dist/bin.js");
} catch (error) {
  if (error?.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes("dist/bin.js")) {
    process.stderr.write("porthost: the command is not built yet: run `npm run build` (npm start builds too)\n");
    process.exit(2);
  }
  throw error;
}
