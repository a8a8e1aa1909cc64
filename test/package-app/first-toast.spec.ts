/**
 * The promise of `npx next-channels-broadcast init`, kept in CI: a brand-new create-next-app 16
 * app (the committed fixture, its defaults, `cacheComponents` on) with a minimal Auth.js
 * credentials login gets its first toast and progress value, with nothing but the packed
 * package, `init --yes` and one server action — and no error or warning in the server's output,
 * in production (`npm run build && npm start`) and in development (`npm run dev`).
 *
 *   npm run build:kit && npx playwright test -c test/package-app
 *   KEEP_APP=1 … keeps the app in its temp folder to look at afterwards.
 */
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { expect, test } from "@playwright/test";
import type { Page } from "@playwright/test";
import { AUTH_FILES, NOTIFY_FILES, USER } from "./app-files";
import { appEnv, problemLines, run, startApp } from "./processes";
import type { AppServer } from "./processes";

const REPO = join(import.meta.dirname, "..", "..");
const PACKAGE = join(REPO, "packages", "next-channels-broadcast");
const FIXTURE = join(REPO, "test", "fixtures", "create-next-app");

test.describe.configure({ mode: "serial" });

let work: string;
let app: string;
const timings: Record<string, number> = {};

function timed<T>(step: string, action: () => T): T {
  const started = Date.now();
  try {
    return action();
  } finally {
    timings[step] = (Date.now() - started) / 1000;
  }
}

function writeFiles(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(app, path)), { recursive: true });
    writeFileSync(join(app, path), text);
  }
}

/** A hash per file of the app's own files (not node_modules, builds or the store's data). */
function snapshot(): Record<string, string> {
  const hashes: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if ([".next", "node_modules", ".data"].includes(name)) continue;
      if (statSync(path).isDirectory()) walk(path);
      else hashes[relative(app, path)] = createHash("sha256").update(readFileSync(path)).digest("hex");
    }
  };
  walk(app);
  return hashes;
}

/** Signs in with the credentials form, lands on /notify and waits for the notification socket's first frame. */
async function signInAndWaitForSocket(page: Page, server: AppServer): Promise<void> {
  const socketReady = page.waitForEvent("websocket", { predicate: (socket) => socket.url().endsWith("/ws/notifications") }).then((socket) => socket.waitForEvent("framereceived"));
  await page.goto(`${server.url}/login`);
  await page.getByLabel("Email").fill(USER.email);
  await page.getByLabel("Password").fill(USER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${server.url}/notify`);
  await socketReady;
}

/**
 * The toast and the progress value of one run of the report, and a clean browser console.
 * `before` is the progress label right after sign-in: nothing yet on a fresh app, or the last
 * value sent (the store gives every new socket of the user the latest progress).
 */
async function firstToast(page: Page, server: AppServer, run: { report: string; percent: number; before: string }): Promise<void> {
  const consoleProblems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") consoleProblems.push(`${message.type()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => consoleProblems.push(`pageerror: ${error.message}`));
  await signInAndWaitForSocket(page, server);
  await expect(page.getByTestId("report-progress-label")).toHaveText(run.before);
  await page.getByLabel("Report name").fill(run.report);
  await page.getByLabel("Progress").fill(String(run.percent));
  await page.getByRole("button", { name: "Run the report" }).click();
  await expect(page.getByText(`Report ${run.report} is ready`, { exact: true })).toBeVisible();
  await expect(page.getByTestId("report-progress-label")).toHaveText(`${run.percent}%`);
  await expect(page.getByTestId("report-progress")).toHaveAttribute("value", String(run.percent));
  expect(consoleProblems, "the browser console has no errors or warnings").toEqual([]);
}

test.beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "ncb-package-app-"));
  app = join(work, "fresh-app");
});

test.afterAll(() => {
  console.log(`package-app timings (s): ${JSON.stringify(timings)}`);
  if (process.env.KEEP_APP) console.log(`the app is kept in ${app}`);
  else rmSync(work, { recursive: true, force: true });
});

test("init sets up a fresh create-next-app app from the packed package, and a second run changes nothing", () => {
  const tarball = timed("pack", () => {
    const output = run("npm", ["pack", "--json", "--pack-destination", work], PACKAGE, appEnv());
    const [{ filename }] = JSON.parse(output.slice(output.indexOf("["))) as [{ filename: string }];
    return join(work, filename);
  });
  cpSync(FIXTURE, app, { recursive: true });
  writeFiles(AUTH_FILES);
  timed("install", () => run("npm", ["install", tarball, "next-auth@5.0.0-beta.32"], app));
  const initOutput = timed("init", () => run("npx", ["next-channels-broadcast", "init", "--yes"], app));
  expect(initOutput, "init needed no manual step").not.toMatch(/\bmanual\b/);

  const first = snapshot();
  // What init is for: session.user.id on the session, the provider given auth() unawaited.
  expect(readFileSync(join(app, "auth.ts"), "utf8")).toContain("session.user.id = token.sub");
  expect(readFileSync(join(app, "app/layout.tsx"), "utf8")).toContain("<NotificationsProvider session={connection().then(() => auth())}>");
  expect(first["server.ts"]).toBeDefined();
  expect(first[".env.local"]).toBeDefined();

  const again = timed("init again", () => run("npx", ["next-channels-broadcast", "init", "--yes"], app));
  expect(again).not.toMatch(/\b(changed|created|installed)\b/);
  expect(snapshot(), "a second init --yes changes no file").toEqual(first);
  writeFiles(NOTIFY_FILES);
});

test("production: npm run build && npm start, sign in, the first toast and the progress value", async ({ page }) => {
  const buildOutput = timed("build", () => run("npm", ["run", "build"], app));
  expect(problemLines(buildOutput.split("\n")), "next build prints no error or warning").toEqual([]);
  const started = Date.now();
  const server = await startApp("start", app, 60_000);
  timings.start = (Date.now() - started) / 1000;
  try {
    await firstToast(page, server, { report: "production", percent: 60, before: "not started" });
  } finally {
    await server.stop();
  }
  expect(problemLines(server.lines), `the server's output has no error or warning:\n${server.lines.join("\n")}`).toEqual([]);
});

test("development: npm run dev, sign in, the first toast and the progress value", async ({ page }) => {
  const started = Date.now();
  const server = await startApp("dev", app, 120_000);
  timings.dev = (Date.now() - started) / 1000;
  try {
    await firstToast(page, server, { report: "development", percent: 35, before: "60%" });
  } finally {
    await server.stop();
  }
  expect(problemLines(server.lines), `the server's output has no error or warning:\n${server.lines.join("\n")}`).toEqual([]);
});
