/**
 * One socket per browser: the tabs of one browser share one websocket (the leading tab's, elected
 * with Web Locks, frames passed over a BroadcastChannel). Each tab still shows the user's toasts,
 * receives only its own page's channel, and when the leading tab goes away another takes over and
 * catches up from its position: a message sent while no tab held a socket renders once per tab.
 */
import { expect, test, type BrowserContext, type Page, type WebSocketRoute } from "@playwright/test";
import { appServerPerFile } from "./support/per-file";
import { expectConnected, expectLive, postComment, publishToUser, recordSockets, signIn, toasts } from "./support/pages";
import { RenderLog } from "./support/render-log";

const API_KEY = "e2e-shared-socket-key-0123456789";
const file = appServerPerFile({ users: ["alice", "bob"], env: { NOTIFICATIONS_API_KEY: API_KEY, NOTIFICATIONS_API_RATE_PER_SECOND: "1000" } });

const sendTo = (username: string, text: string, level?: "info" | "success") => publishToUser(file.app.url, API_KEY, username, text, level);

/** Opens `path` in a new tab of `context`, recording the notification sockets it opens. */
async function openTab(context: BrowserContext, path: string, sockets: Map<Page, string[]>): Promise<Page> {
  const page = await context.newPage();
  sockets.set(page, recordSockets(page));
  await page.goto(`${file.app.url}${path}`);
  await expectConnected(page);
  return page;
}

const socketCount = (sockets: Map<Page, string[]>) => [...sockets.values()].reduce((sum, urls) => sum + urls.length, 0);

test("three tabs open one websocket between them; each receives only its own article's comments, all of them the user's toasts", async ({ browser }) => {
  const context = await file.newContext(browser);
  const signInPage = await signIn(context, file.app.url, "alice");
  await signInPage.close();
  const sockets = new Map<Page, string[]>();
  const tabs = [await openTab(context, "/articles/1", sockets), await openTab(context, "/articles/2", sockets), await openTab(context, "/articles/3", sockets)];
  await expectLive(tabs[0]!, "articles-1");
  await expectLive(tabs[1]!, "articles-2");
  await expectLive(tabs[2]!, "articles-3");
  expect(socketCount(sockets)).toBe(1);

  const bob = await signIn(await file.newContext(browser), file.app.url, "bob");
  await bob.goto(`${file.app.url}/articles/2`);
  await postComment(bob, "Only for the readers of two");
  await expect(toasts(tabs[1]!, "Only for the readers of two")).toBeVisible();
  await bob.goto(`${file.app.url}/articles/1`);
  await postComment(bob, "Only for the readers of one");
  await expect(toasts(tabs[0]!, "Only for the readers of one")).toBeVisible();

  // A message to alice reaches every tab; it was sent after both comments on the same socket, so a
  // comment routed to the wrong tab would have arrived before it.
  await sendTo("alice", "Your export is ready");
  for (const tab of tabs) await expect(toasts(tab, "Your export is ready")).toHaveCount(1);
  await expect(toasts(tabs[0]!, "Only for the readers of two")).toHaveCount(0);
  await expect(toasts(tabs[2]!, "Only for the readers of two")).toHaveCount(0);
  await expect(toasts(tabs[1]!, "Only for the readers of one")).toHaveCount(0);
  await expect(toasts(tabs[2]!, "Only for the readers of one")).toHaveCount(0);

  // Two tabs on one article, then one of them leaves it (client-side navigations): it releases
  // only its own hold, the other tab keeps receiving the article's comments.
  await tabs[0]!.getByTestId("article-link-2").click();
  await expectLive(tabs[0]!, "articles-2");
  await tabs[0]!.getByTestId("article-link-3").click();
  await expectLive(tabs[0]!, "articles-3");
  await bob.goto(`${file.app.url}/articles/2`);
  await postComment(bob, "Still live on two");
  await expect(toasts(tabs[1]!, "Still live on two")).toBeVisible();
  await bob.goto(`${file.app.url}/articles/3`);
  await postComment(bob, "Marker on three");
  await expect(toasts(tabs[0]!, "Marker on three")).toBeVisible();
  await expect(toasts(tabs[2]!, "Marker on three")).toBeVisible();
  await expect(toasts(tabs[0]!, "Still live on two")).toHaveCount(0);
  expect(socketCount(sockets)).toBe(1);
});

for (const how of ["closes", "crashes"] as const) test(`when the leading tab ${how}, another takes the socket over; a message sent while no tab held one renders in each remaining tab exactly once`, async ({ browser }) => {
  const context = await file.newContext(browser);
  // Counts every toast ever rendered, also one that timed out before the test looked.
  const log = await RenderLog.attach(context);
  const signInPage = await signIn(context, file.app.url, "alice");
  await signInPage.close();

  // Every notification socket goes through a route, so the test decides when the next leader's
  // socket reaches the server: only after the message was sent, while no tab held a socket.
  let gate: Promise<void> = Promise.resolve();
  let openGate: () => void = () => undefined;
  const attempts: WebSocketRoute[] = [];
  await context.routeWebSocket(/\/ws\/notifications/, async (route) => {
    attempts.push(route);
    await gate;
    route.connectToServer();
  });

  const sockets = new Map<Page, string[]>();
  const tabs = [await openTab(context, "/", sockets), await openTab(context, "/", sockets), await openTab(context, "/", sockets)];
  await sendTo("alice", "Before the hand-over");
  for (const tab of tabs) await expect(toasts(tab, "Before the hand-over")).toHaveCount(1);
  expect(attempts).toHaveLength(1);
  const leader = tabs.find((tab) => (sockets.get(tab) ?? []).length === 1);
  expect(leader).toBeDefined();
  const rest = tabs.filter((tab) => tab !== leader);

  gate = new Promise((resolve) => {
    openGate = resolve;
  });
  if (how === "closes") await leader!.close();
  // A crashed renderer runs no unload code: only the browser releasing its locks hands over.
  else {
    const crashed = leader!.waitForEvent("crash");
    // The command never answers: its renderer is gone.
    void (await context.newCDPSession(leader!)).send("Page.crash").catch(() => undefined);
    await crashed;
  }
  // The next leader is trying to connect: the message goes out while no tab holds a socket.
  await expect.poll(() => attempts.length).toBe(2);
  await sendTo("alice", "Sent during the hand-over");
  openGate();

  for (const tab of rest) {
    await expectConnected(tab);
    await log.of(tab).until("the message sent during the hand-over is shown", () => log.of(tab).timesShown("Sent during the hand-over") > 0, 15_000);
  }
  // A later message arrives after any duplicate would have: still exactly one showing each.
  await sendTo("alice", "After the hand-over");
  for (const tab of rest) {
    const record = log.of(tab);
    await record.until("the later message is shown", () => record.timesShown("After the hand-over") > 0, 15_000);
    expect(record.timesShown("Before the hand-over")).toBe(1);
    expect(record.timesShown("Sent during the hand-over")).toBe(1);
    expect(record.timesShown("After the hand-over")).toBe(1);
  }
  expect(attempts).toHaveLength(2);
});

test("a browser without Web Locks keeps one socket per tab", async ({ browser }) => {
  const context = await file.newContext(browser);
  // As in a browser that lacks the API: the provider falls back to a socket of each tab's own.
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, "locks", { get: () => undefined, configurable: true });
  });
  const signInPage = await signIn(context, file.app.url, "alice");
  await signInPage.close();
  const sockets = new Map<Page, string[]>();
  const tabs = [await openTab(context, "/", sockets), await openTab(context, "/", sockets)];
  expect(socketCount(sockets)).toBe(2);
  await sendTo("alice", "Each on its own socket");
  for (const tab of tabs) await expect(toasts(tab, "Each on its own socket")).toHaveCount(1);
});
