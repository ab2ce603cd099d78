import { defineConfig } from "vitest/config";

// These tests run the real porthost command as child processes: give a busy machine time.
export default defineConfig({ test: { testTimeout: 30_000 } });
