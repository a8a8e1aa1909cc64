#!/usr/bin/env node
/**
 * The whole test suite, as `npm test` runs it:
 *   build the package → type-check → type tests of the public entries → lint → vitest (unit, integration, store, layers) → next build → Playwright.
 * Prints one closing line "N passed, N failed, N skipped". With CI=true a skipped test is a
 * failure: CI must prove every service-backed test ran.
 *
 * Flags: --no-e2e (skip the build and the browser), --only-e2e.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const args = new Set(process.argv.slice(2));
const ci = Boolean(process.env.CI);
const bin = (name) => join("node_modules", ".bin", name);
const reports = join("test-results", "reports");
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });

const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

function step(title, command, commandArgs, env = {}) {
  console.log(`\n━━ ${title}: ${[command, ...commandArgs].join(" ")}`);
  const started = Date.now();
  const result = spawnSync(command, commandArgs, { stdio: "inherit", env: { ...process.env, ...env } });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const ok = result.status === 0;
  console.log(`━━ ${title}: ${ok ? "ok" : `FAILED (exit ${result.status ?? result.signal})`} in ${seconds}s`);
  if (!ok) failures.push(title);
  return ok;
}

function countVitest(file) {
  if (!existsSync(file)) return false;
  const report = JSON.parse(readFileSync(file, "utf8"));
  totals.passed += report.numPassedTests ?? 0;
  totals.failed += report.numFailedTests ?? 0;
  totals.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  return true;
}

function countPlaywright(file) {
  if (!existsSync(file)) return false;
  const { stats } = JSON.parse(readFileSync(file, "utf8"));
  totals.passed += (stats.expected ?? 0) + (stats.flaky ?? 0);
  totals.failed += stats.unexpected ?? 0;
  totals.skipped += stats.skipped ?? 0;
  if (stats.flaky) console.log(`note: ${stats.flaky} Playwright test(s) passed only on retry`);
  return true;
}

// The demo and the tests import the package by name, i.e. its built dist/ (as an app would).
const kitBuilt = step("build the package", "npm", ["run", "build:kit"]);
if (!kitBuilt) {
  console.log("The package did not build; nothing else can run.");
  process.exit(1);
}

if (!args.has("--only-e2e")) {
  step("type-check", bin("tsc"), ["--noEmit", "-p", "."]);
  // What compiles and what must not, against the built declarations (see test/types/).
  step("type tests", bin("tsc"), ["-p", join("test", "types", "tsconfig.json")]);
  step("lint", bin("eslint"), ["--max-warnings", "0", "."]);
  const vitestReport = join(reports, "vitest.json");
  step("vitest", bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile=${vitestReport}`]);
  if (!countVitest(vitestReport)) failures.push("vitest report missing");
}

if (!args.has("--no-e2e")) {
  // A build needs a secret to exist, not a real one: sessions are never issued at build time.
  const built = step("next build", bin("next"), ["build"], { AUTH_SECRET: process.env.AUTH_SECRET ?? "build-time-placeholder-secret", NODE_ENV: "production" });
  if (built) {
    const playwrightReport = join(reports, "playwright.json");
    step("playwright", bin("playwright"), ["test"], { PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightReport });
    if (!countPlaywright(playwrightReport)) failures.push("playwright report missing");
  }
}

if (ci && totals.skipped > 0) failures.push(`${totals.skipped} skipped test(s): CI requires every test to run`);
console.log("");
if (failures.length > 0) console.log(`Failed steps: ${failures.join("; ")}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failures.length > 0 || totals.failed > 0 ? 1 : 0);
