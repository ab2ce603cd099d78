import type { ViteUserConfig } from "vitest/config";

export declare const unitTests: ViteUserConfig;
export declare function e2eTests(include?: string[]): ViteUserConfig;
