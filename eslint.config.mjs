import nextCoreWebVitals from "eslint-config-next/core-web-vitals";
import nextTypescript from "eslint-config-next/typescript";

const config = [
  ...nextCoreWebVitals,
  ...nextTypescript,
  {
    ignores: [".next/**", "node_modules/**", "packages/*/dist/**", "packages/*/drizzle/**", ".data/**", "drizzle/**", "test-results/**", "playwright-report/**", "next-env.d.ts", "test/fixtures/create-next-app/**"],
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // The kit's server side logs through its one logger (server/logger.ts: NOTIFICATIONS_LOG_LEVEL,
    // NOTIFICATIONS_LOG_FORMAT, or the app's own), never straight to the console.
    files: ["packages/next-channels-broadcast/src/server/**"],
    ignores: ["packages/next-channels-broadcast/src/server/logger.ts"],
    rules: { "no-console": "error" },
  },
];

export default config;
