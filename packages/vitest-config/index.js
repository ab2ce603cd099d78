import { defineConfig } from "vitest/config";

// Tests wait for events, never for fixed times; these limits only decide when a wait has hung.
// They are generous because CI and laptops run the suites on 2 cores beside other work, where
// starting a child process or a TLS handshake can take seconds.
const TEST_TIMEOUT_MS = 60_000; // 1 min
const HOOK_TIMEOUT_MS = 60_000; // 1 min
/**
 * expect.poll's default, in place of vitest's 1 s: a poll waits for an event (a frame on a
 * stream, a row on a page) and returns as soon as it holds; 1 s was a bet on the machine's speed.
 */
const POLL_TIMEOUT_MS = 30_000;
const expectations = { poll: { timeout: POLL_TIMEOUT_MS } };

/** `npm test`: a package's *.test.ts files. */
export const unitTests = defineConfig({
  test: { testTimeout: TEST_TIMEOUT_MS, hookTimeout: HOOK_TIMEOUT_MS, expect: expectations },
});

/** `npm run test:e2e`: a package's *.e2e.ts files, driven by outside clients. */
export function e2eTests(include = ["test/**/*.e2e.ts"]) {
  return defineConfig({
    test: { include, testTimeout: TEST_TIMEOUT_MS, hookTimeout: HOOK_TIMEOUT_MS, expect: expectations },
  });
}
