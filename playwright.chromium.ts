/**
 * The browser every Playwright config of this repository uses: Debian's Chromium (Playwright's
 * own download is never used), with the flags that keep it quiet and deterministic in CI.
 * Shared by `playwright.config.ts` (the demo's e2e/) and `test/package-app/playwright.config.ts`.
 */
import type { PlaywrightTestConfig } from "@playwright/test";

export const debianChromium: PlaywrightTestConfig["use"] = {
  browserName: "chromium",
  trace: "retain-on-failure",
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  },
};
