/**
 * The usual shape of a spec file: one production app server for the file, and browser contexts
 * closed after each test.
 */
import { test, type Browser, type BrowserContext } from "@playwright/test";
import { startAppServer, type AppServer } from "./app-server";

/**
 * Starts an app server before the file's tests (users made first) and stops it after; contexts
 * made with `newContext` are closed after each test. Call once at the top of a spec file.
 *
 * @example
 * const file = appServerPerFile({ users: ["alice", "bob"] });
 * test("…", async ({ browser }) => {
 *   const page = await signIn(await file.newContext(browser), file.app.url, "alice");
 * });
 */
export function appServerPerFile(options: Parameters<typeof startAppServer>[0] = {}) {
  let app: AppServer | undefined;
  const contexts: BrowserContext[] = [];
  test.beforeAll(async () => {
    test.setTimeout(180_000); // a production server start (and users made by the CLI) on a busy 2-core machine
    app = await startAppServer(options);
  });
  test.afterAll(async () => {
    await app?.stop();
  });
  test.afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });
  return {
    /** The file's running server. */
    get app(): AppServer {
      if (!app) throw new Error("appServerPerFile: the server is not running (beforeAll failed?)");
      return app;
    },
    /** A browser context closed after the test. */
    async newContext(browser: Browser): Promise<BrowserContext> {
      const context = await browser.newContext();
      contexts.push(context);
      return context;
    },
  };
}
