/**
 * Signing out revokes that session: the browser's other tabs (same session) have their sockets
 * closed and reconnect without it (anonymous, or not at all when anonymous is off) and stop
 * receiving the user's notifications, while the user's other devices — other sessions — keep
 * their sockets open, untouched. (Copies of a revoked cookie: e2e/revocation.spec.ts.)
 */
import { expect, test, type BrowserContext } from "@playwright/test";
import { startAppServer, type AppServer } from "./support/app-server";
import { expectConnected, recordSockets, sendFromDemo, signIn, toasts } from "./support/pages";

let contexts: BrowserContext[] = [];
test.afterEach(async () => {
  await Promise.all(contexts.map((context) => context.close()));
  contexts = [];
});

async function newContext(browser: import("@playwright/test").Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  contexts.push(context);
  return context;
}

test.describe("sign-out (anonymous on)", () => {
  let app: AppServer;
  test.beforeAll(async () => {
    test.setTimeout(180_000); // a production server start (and users made by the CLI) on a busy 2-core machine
    app = await startAppServer({ users: ["alice", "bob"], env: { ENABLE_ANONYMOUS: "true", DEMO_ADMIN_USERNAMES: "bob" } });
  });
  test.afterAll(async () => {
    await app?.stop();
  });

  test("the signed-out browser's tabs stop receiving alice's messages; her other device keeps its socket", async ({ browser }) => {
    const aliceBrowser = await newContext(browser);
    const tab1 = await signIn(aliceBrowser, app.url, "alice");
    const tab2 = await aliceBrowser.newPage();
    const tab2Sockets = recordSockets(tab2);
    await tab2.goto(app.url);
    const laptop = await signIn(await newContext(browser), app.url, "alice");
    // Connected first, so the socket of the page signIn landed on is not counted; then the
    // reload's socket is the one the laptop keeps.
    await expectConnected(laptop);
    const laptopSockets = recordSockets(laptop);
    await laptop.reload();
    const bob = await signIn(await newContext(browser), app.url, "bob");
    for (const page of [tab1, tab2, laptop, bob]) await expectConnected(page);

    await sendFromDemo(bob, { audience: "user", target: "alice", text: "Before sign-out" });
    for (const page of [tab1, tab2, laptop]) await expect(toasts(page, "Before sign-out")).toBeVisible();
    // The browser's two tabs share one socket: count what either of them opens from here on.
    const tab1Sockets = recordSockets(tab1);
    const before = tab2Sockets.length;

    await tab1.getByTestId("sign-out").click();
    await expect(tab1.getByTestId("sign-in-link")).toBeVisible();
    await expectConnected(tab1);
    // The session's sockets were closed: the browser comes back without the session cookie
    // (anonymous), on a socket both tabs share.
    await expect.poll(() => tab1Sockets.length + tab2Sockets.length - before).toBeGreaterThanOrEqual(1);
    await expectConnected(tab2);
    // The 4001 made tab 2 refresh its layout: its header no longer shows alice.
    await expect(tab2.getByTestId("sign-in-link")).toBeVisible();
    await expect(tab2.getByTestId("current-user")).toHaveCount(0);
    await expect(laptop.getByTestId("current-user")).toContainText("alice");

    await sendFromDemo(bob, { audience: "user", target: "alice", text: "After sign-out" });
    await sendFromDemo(bob, { audience: "anonymous", text: "Marker for visitors" });
    await expect(toasts(laptop, "After sign-out")).toBeVisible();
    for (const page of [tab1, tab2]) {
      await expect(toasts(page, "Marker for visitors")).toBeVisible();
      await expect(toasts(page, "After sign-out")).toHaveCount(0);
    }
    await expect(toasts(laptop, "Marker for visitors")).toHaveCount(0);
    // The laptop's session was not revoked: its socket was never closed or replaced.
    expect(laptopSockets).toHaveLength(1);
  });
});

test.describe("sign-out (anonymous off)", () => {
  let app: AppServer;
  test.beforeAll(async () => {
    test.setTimeout(180_000); // a production server start (and users made by the CLI) on a busy 2-core machine
    app = await startAppServer({ users: ["alice", "bob"], env: { DEMO_ADMIN_USERNAMES: "bob" } });
  });
  test.afterAll(async () => {
    await app?.stop();
  });

  test("the signed-out browser's other tab is not let back in and stops trying; her other device keeps its socket", async ({ browser }) => {
    const aliceBrowser = await newContext(browser);
    const tab1 = await signIn(aliceBrowser, app.url, "alice");
    const tab2 = await aliceBrowser.newPage();
    await tab2.goto(app.url);
    const laptop = await signIn(await newContext(browser), app.url, "alice");
    // Connected first, so the socket of the page signIn landed on is not counted; then the
    // reload's socket is the one the laptop keeps.
    await expectConnected(laptop);
    const laptopSockets = recordSockets(laptop);
    await laptop.reload();
    const bob = await signIn(await newContext(browser), app.url, "bob");
    for (const page of [tab1, tab2, laptop, bob]) await expectConnected(page);

    // Tab 2's sockets from now on: at most a reconnect refused at the handshake, if it starts
    // before the refresh lands; none is ever let in.
    const tab2Opened: string[] = [];
    tab2.on("websocket", (socket) => {
      if (!socket.url().includes("/ws/notifications")) return;
      socket.on("framereceived", (frame) => {
        if (typeof frame.payload === "string" && frame.payload.includes('"hello"')) tab2Opened.push(socket.url());
      });
    });
    await tab1.getByTestId("sign-out").click();
    await expect(tab1.getByTestId("sign-in-link")).toBeVisible();
    await expect(tab1.getByTestId("connection-state")).toHaveAttribute("data-state", "idle");
    // The 4001 made tab 2 refresh its layout: signed out, anonymous off, so no socket at all
    // (instead of retrying a refused handshake with backoff forever).
    await expect(tab2.getByTestId("sign-in-link")).toBeVisible();
    await expect(tab2.getByTestId("connection-state")).toHaveAttribute("data-state", "idle");
    await expectConnected(laptop);
    await expect(laptop.getByTestId("current-user")).toContainText("alice");

    await sendFromDemo(bob, { audience: "user", target: "alice", text: "After sign-out" });
    await expect(toasts(laptop, "After sign-out")).toBeVisible();
    await expect(toasts(tab2, "After sign-out")).toHaveCount(0);
    await expect(toasts(tab1, "After sign-out")).toHaveCount(0);
    await expect(tab2.getByTestId("connection-state")).toHaveAttribute("data-state", "idle");
    expect(tab2Opened).toEqual([]);
    expect(laptopSockets).toHaveLength(1);
  });
});
