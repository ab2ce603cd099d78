import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.hostile.ts"],
    // One probe at a time: each measures memory and service rates that another probe would skew.
    fileParallelism: false,
    globalSetup: ["src/probe-table-setup.ts"],
    // A probe is bounded in count and time; these limits only decide when one has hung.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
