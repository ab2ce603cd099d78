import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // Building images from a cold cache takes minutes; each check after that takes seconds.
    hookTimeout: 20 * 60_000,
    testTimeout: 60_000,
  },
});
