/**
 * Who sees what, in a real browser: alice (two tabs), bob and an anonymous visitor, with the
 * demo's own server action doing the sending.
 */
import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { startAppServer, type AppServer } from "./support/app-server";
import { expectConnected, sendFromDemo, signIn, toasts } from "./support/pages";

let app: AppServer;
let contexts: BrowserContext[] = [];
let alice1: Page, alice2: Page, bob: Page, anon: Page;

async function cast(browser: Browser) {
  const aliceContext = await browser.newContext();
  const bobContext = await browser.newContext();
  const anonContext = await browser.newContext();
  contexts = [aliceContext, bobContext, anonContext];
  alice1 = await signIn(aliceContext, app.url, "alice");
  alice2 = await aliceContext.newPage();
  await alice2.goto(app.url);
  bob = await signIn(bobContext, app.url, "bob");
  anon = await anonContext.newPage();
  await anon.goto(app.url);
  for (const page of [alice1, alice2, bob, anon]) await expectConnected(page);
}

test.describe("audiences (anonymous on)", () => {
  test.beforeAll(async () => {
    test.setTimeout(180_000); // a production server start (and users made by the CLI) on a busy 2-core machine
    // Both send to every audience, which only admins may do.
    app = await startAppServer({ users: ["alice", "bob"], env: { ENABLE_ANONYMOUS: "true", DEMO_ADMIN_USERNAMES: "alice,bob" } });
  });
  test.afterAll(async () => {
    await app?.stop();
  });
  test.beforeEach(async ({ browser }) => cast(browser));
  test.afterEach(async () => {
    await Promise.all(contexts.map((context) => context.close()));
  });

  test("a message to alice shows in both of her tabs and nowhere else", async () => {
    const result = await sendFromDemo(bob, { audience: "user", target: "alice", text: "Your import finished!", level: "success" });
    expect(result).toContain("Sent");
    await expect(toasts(alice1, "Your import finished!")).toBeVisible();
    await expect(toasts(alice2, "Your import finished!")).toBeVisible();
    await expect(toasts(alice1, "Your import finished!")).toHaveAttribute("data-level", "success");

    // A later broadcast reaches everyone; by then bob and anon would have had alice's toast too.
    await sendFromDemo(bob, { audience: "all", text: "Marker for everyone" });
    for (const page of [bob, anon]) {
      await expect(toasts(page, "Marker for everyone")).toBeVisible();
      await expect(toasts(page, "Your import finished!")).toHaveCount(0);
    }
  });

  test("authenticated reaches signed-in tabs only; anonymous reaches the visitor only", async () => {
    await sendFromDemo(alice1, { audience: "authenticated", text: "Members only" });
    await sendFromDemo(alice1, { audience: "anonymous", text: "Hello visitor" });
    await expect(toasts(bob, "Members only")).toBeVisible();
    await expect(toasts(alice2, "Members only")).toBeVisible();
    await expect(toasts(anon, "Hello visitor")).toBeVisible();
    await expect(toasts(anon, "Members only")).toHaveCount(0);
    await expect(toasts(bob, "Hello visitor")).toHaveCount(0);
  });

  test("text is shown as text, never as HTML", async () => {
    const html = '<img src=x onerror="window.__pwned=1"><b>bold</b>';
    await sendFromDemo(bob, { audience: "user", target: "alice", text: html, level: "error" });
    await expect(toasts(alice1, "<b>bold</b>")).toBeVisible();
    expect(await alice1.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await expect(toasts(alice1, "<b>bold</b>").locator("img, b")).toHaveCount(0);
  });

  test("a redirect moves alice's tabs and not bob's", async () => {
    await sendFromDemo(bob, { audience: "user", target: "alice", kind: "redirect", url: "/tasks/redirected-by-bob" });
    await expect(alice1).toHaveURL(/\/tasks\/redirected-by-bob$/);
    await expect(alice2).toHaveURL(/\/tasks\/redirected-by-bob$/);
    await expect(bob).toHaveURL(`${app.url}/`);
  });

  test("each tab holds exactly one websocket", async ({ browser }) => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const sockets: string[] = [];
    page.on("websocket", (socket) => sockets.push(socket.url()));
    await page.goto(app.url);
    await expectConnected(page);
    expect(sockets.filter((url) => url.includes("/ws/notifications"))).toHaveLength(1);
  });
});

test.describe("anonymous off (the default)", () => {
  test.beforeAll(async () => {
    test.setTimeout(180_000); // a production server start (and users made by the CLI) on a busy 2-core machine
    app = await startAppServer({ users: ["alice"] });
  });
  test.afterAll(async () => {
    await app?.stop();
  });

  test("an anonymous visitor opens no websocket; a signed-in one does", async ({ browser }) => {
    const anonContext = await browser.newContext();
    const anonPage = await anonContext.newPage();
    const anonSockets: string[] = [];
    anonPage.on("websocket", (socket) => anonSockets.push(socket.url()));
    await anonPage.goto(app.url);
    // Hydrated: the indicator is rendered by the client and says it is not connecting.
    await expect(anonPage.getByTestId("connection-state")).toHaveAttribute("data-state", "idle");
    await signIn(anonContext, app.url, "alice").then(async (page) => {
      await expectConnected(page);
    });
    expect(anonSockets).toEqual([]);
    await anonContext.close();
  });
});

test.describe("the long task", () => {
  test.beforeAll(async () => {
    test.setTimeout(180_000); // a production server start (and users made by the CLI) on a busy 2-core machine
    app = await startAppServer({ users: ["alice"] });
  });
  test.afterAll(async () => {
    await app?.stop();
  });

  test("streams progress to the bar, then lands on the result page", async ({ browser }) => {
    const context = await browser.newContext();
    const page = await signIn(context, app.url, "alice");
    await page.goto(`${app.url}/tasks`);
    await expectConnected(page);
    const bar = page.getByTestId("progress-bar");
    await page.getByTestId("start-task").click();
    // The bar advances: a value strictly between 0 and 100 is shown before the end.
    await expect.poll(async () => Number(await bar.getAttribute("aria-valuenow")), { timeout: 15_000 }).toBeGreaterThan(0);
    const midway = Number(await bar.getAttribute("aria-valuenow"));
    expect(midway).toBeLessThan(100);
    await expect(page).toHaveURL(/\/tasks\/[0-9a-f-]{36}$/, { timeout: 20_000 });
    await expect(page.getByTestId("task-result")).toBeVisible();
    await context.close();
  });
});
