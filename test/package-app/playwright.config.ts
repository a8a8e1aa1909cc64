import { defineConfig } from "@playwright/test";
import { debianChromium } from "../../playwright.chromium";

/**
 * The packaged-install test (`first-toast.spec.ts`): its own Playwright project, because it
 * builds and serves a separate app (a fresh create-next-app copy) instead of the demo that
 * `e2e/` runs against. Same Debian Chromium as the root config.
 *
 *   npx playwright test -c test/package-app
 */
export default defineConfig({
  testDir: ".",
  testMatch: "*.spec.ts",
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  retries: 0,
  // Packing, installing and building an app takes minutes; each step sets its own limit too.
  timeout: 600_000,
  expect: { timeout: 15_000 },
  outputDir: "../../test-results/package-app",
  reporter: [["list"], ["json", { outputFile: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ?? "../../test-results/reports/package-app.json" }]],
  use: debianChromium,
});
