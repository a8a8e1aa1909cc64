/**
 * Live server components and typed events in a real browser, on the demo's own pages: the
 * article page re-renders its comment list when the server sends `refreshObject` (no reload, each
 * comment once), coalesces a burst, skips the tab whose action caused it, waits while hidden; the
 * job page's status row follows a typed event.
 *
 * Server renders are counted as the router's refresh requests (GET of the page with `RSC: 1`,
 * prefetches excluded): each is one render of the page's server components.
 */
import { expect, test, type Browser, type Page } from "@playwright/test";
import { appServerPerFile } from "./support/per-file";
import { expectLive, postComment, signIn, toasts } from "./support/pages";

const API_KEY = "e2e-live-refresh-key-0123456789abcdef";

const file = appServerPerFile({ users: ["alice", "bob"], env: { NOTIFICATIONS_API_KEY: API_KEY, NOTIFICATIONS_API_RATE_PER_SECOND: "1000" } });

async function reader(browser: Browser, username: string): Promise<Page> {
  const context = await file.newContext(browser);
  // A switch for the page's visibility (headless Chromium reports every page visible).
  await context.addInitScript(() => {
    let hidden = false;
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
    (window as unknown as { setHidden(value: boolean): void }).setHidden = (value) => {
      hidden = value;
      document.dispatchEvent(new Event("visibilitychange"));
    };
  });
  return signIn(context, file.app.url, username);
}

/** Counts the router's refreshes of `path` in `page` (not prefetches, not server actions). */
function countRefreshes(page: Page, path: string): { count: number } {
  const counter = { count: 0 };
  page.on("request", (request) => {
    const headers = request.headers();
    if (request.method() !== "GET" || headers.rsc !== "1" || headers["next-router-prefetch"] !== undefined) return;
    if (new URL(request.url()).pathname === path) counter.count += 1;
  });
  return counter;
}

async function publish(body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${file.app.url}/api/notifications/publish`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.clone().text()).toBe(200);
}

let markers = 0;
/** A toast on article 1's channel, published after whatever came before it: once it shows, those frames were handled. */
async function marker(page: Page): Promise<void> {
  const text = `marker ${(markers += 1)}`;
  await publish({ audience: "object", object: "articles-1", text });
  await expect(toasts(page, text)).toBeVisible();
}

test("a comment appears in the other reader's list without a reload, exactly once; the poster's tab skips the refresh", async ({ browser }) => {
  const alice = await reader(browser, "alice");
  const bob = await reader(browser, "bob");
  await alice.goto(`${file.app.url}/articles/1`);
  await bob.goto(`${file.app.url}/articles/1`);
  await expectLive(alice, "articles-1");
  await expectLive(bob, "articles-1");
  await alice.evaluate(() => ((window as unknown as { kept: boolean }).kept = true));
  const aliceRenders = countRefreshes(alice, "/articles/1");
  const bobRenders = countRefreshes(bob, "/articles/1");

  await postComment(bob, "Refreshed into alice's list");
  await expect(alice.getByTestId("comment").filter({ hasText: "Refreshed into alice's list" })).toHaveCount(1);
  await expect(bob.getByTestId("comment").filter({ hasText: "Refreshed into alice's list" })).toHaveCount(1);
  // The same page, re-rendered (its window survived), by exactly one refresh.
  expect(await alice.evaluate(() => (window as unknown as { kept?: boolean }).kept)).toBe(true);
  await marker(bob);
  await marker(alice);
  expect(aliceRenders.count).toBe(1);
  // Bob's tab re-rendered from its own action; the refresh it caused was skipped.
  expect(bobRenders.count).toBe(0);
});

test("ten refreshes in a burst re-render the page at most twice", async ({ browser }) => {
  const alice = await reader(browser, "alice");
  await alice.goto(`${file.app.url}/articles/1`);
  await expectLive(alice, "articles-1");
  const renders = countRefreshes(alice, "/articles/1");
  await Promise.all(Array.from({ length: 10 }, () => publish({ kind: "refresh", audience: "object", object: "articles-1" })));
  await marker(alice);
  // The first at once, the other nine coalesced into one at the end of the window.
  await expect.poll(() => renders.count).toBe(2);
  await marker(alice);
  expect(renders.count).toBe(2);
});

test("a hidden tab refreshes when it is shown, once", async ({ browser }) => {
  const alice = await reader(browser, "alice");
  await alice.goto(`${file.app.url}/articles/1`);
  await expectLive(alice, "articles-1");
  const renders = countRefreshes(alice, "/articles/1");
  await alice.evaluate(() => (window as unknown as { setHidden(value: boolean): void }).setHidden(true));
  await publish({ kind: "refresh", audience: "object", object: "articles-1" });
  await publish({ kind: "refresh", audience: "object", object: "articles-1" });
  await marker(alice);
  expect(renders.count).toBe(0);
  await alice.evaluate(() => (window as unknown as { setHidden(value: boolean): void }).setHidden(false));
  await expect.poll(() => renders.count).toBe(1);
});

test("the job page's status row follows the typed job.status event", async ({ browser }) => {
  const alice = await reader(browser, "alice");
  await alice.goto(`${file.app.url}/jobs`);
  await alice.getByTestId("start-job").click();
  await expect(alice).toHaveURL(/\/jobs\/[0-9a-f-]{36}$/);
  const status = alice.getByTestId("job-phase");
  await expect(status).toHaveAttribute("data-phase", "running");
  await expect(status).toContainText(/Running: step \d+ of 11/);
  // The job ends by redirecting to its result; the last status arrives before that.
  await expect(alice).toHaveURL(/\/jobs\/[0-9a-f-]{36}\/result$/, { timeout: 15_000 });
});
