import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/.turbo/**", "**/coverage/**", "data/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", ignoreRestSiblings: true }],
      // Only the port-config package reads the environment.
      "no-restricted-properties": [
        "error",
        {
          object: "process",
          property: "env",
          message: "Read settings through @porthost/ports (readConfig), not process.env.",
        },
      ],
    },
  },
  {
    files: [
      "packages/ports/src/**",
      "packages/testkit/**",
      "**/*.test.ts",
      "**/test/**",
      "tests/**",
      "bench/**",
      "**/*.config.*",
    ],
    rules: { "no-restricted-properties": "off" },
  },
  {
    files: ["apps/web/public/**/*.js", "apps/web/ui/src/**"],
    languageOptions: { globals: { ...globals.browser } },
  },
);
