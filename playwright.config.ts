import { defineConfig } from "@playwright/test";
import { debianChromium } from "./playwright.chromium";

/**
 * Browser tests run against a production build (`next build` first; `npm test` does it),
 * in Debian's Chromium — Playwright's own browser download is not used.
 */
export default defineConfig({
  testDir: "e2e",
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["json", { outputFile: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ?? "test-results/reports/playwright.json" }]],
  use: debianChromium,
});
