import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/**
 * The switchboard page: sources here in ui/, the static samples (public/) copied beside it, and
 * the whole site written to dist/site, which the web service serves as its public folder.
 */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  publicDir: fileURLToPath(new URL("../public", import.meta.url)),
  build: {
    outDir: fileURLToPath(new URL("../dist/site", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    // One small script and one stylesheet: a source map would weigh more than the page.
    sourcemap: false,
  },
});
