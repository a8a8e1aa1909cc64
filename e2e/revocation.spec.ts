/**
 * Revoked sessions, in a real browser against the production build: a copy of alice's cookie
 * taken before she signs out, and a copy of carol's taken before she deletes her account, open
 * neither a signed-in page nor a socket as that user, and a socket already open with the copy is
 * closed. The copies are real cookies moved into a fresh browser context, as a thief would.
 *
 * The page side is the demo's (the jwt callback in src/auth.ts); the socket side is the gateway's
 * revocation check at the handshake and for open sockets.
 */
import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { PASSWORD, startAppServer, type AppServer } from "./support/app-server";
import { expectConnected, sendFromDemo, signIn, toasts } from "./support/pages";

let contexts: BrowserContext[] = [];
test.afterEach(async () => {
  await Promise.all(contexts.map((context) => context.close()));
  contexts = [];
});

async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  contexts.push(context);
  return context;
}

/** The notification sockets a page opens from now on: how many, how many closed, and who each `hello` said the socket was. */
interface SocketLog {
  opened: number;
  closed: number;
  /** `userId` of every hello frame received (null: anonymous). */
  hellos: (string | null)[];
  /** Text of every message frame received. */
  messages: string[];
}

function logSockets(page: Page): SocketLog {
  const log: SocketLog = { opened: 0, closed: 0, hellos: [], messages: [] };
  page.on("websocket", (socket) => {
    if (!socket.url().includes("/ws/notifications")) return;
    log.opened++;
    socket.on("close", () => log.closed++);
    socket.on("framereceived", (frame) => {
      if (typeof frame.payload !== "string") return;
      try {
        const data = JSON.parse(frame.payload) as { type?: string; userId?: string | null; text?: string };
        if (data.type === "hello") log.hellos.push(data.userId ?? null);
        if (data.type === "message" && typeof data.text === "string") log.messages.push(data.text);
      } catch {
        // Not JSON: not ours to judge here.
      }
    });
  });
  return log;
}

/** The user id the page's socket was admitted as (its hello frame). */
async function connectedAs(page: Page, log: SocketLog): Promise<string> {
  await expectConnected(page);
  await expect.poll(() => log.hellos.length).toBeGreaterThan(0);
  const id = log.hellos.at(-1);
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  return id!;
}

/**
 * Opens a socket from the page by hand, with whatever cookies the context holds, and resolves
 * with what happened: the `hello`'s user, or how it closed.
 */
async function tryOpenSocket(page: Page): Promise<{ hello: string | null } | { closed: number }> {
  return page.evaluate(
    () =>
      new Promise<{ hello: string | null } | { closed: number }>((resolve) => {
        const socket = new WebSocket(`${location.origin.replace(/^http/, "ws")}/ws/notifications`);
        socket.onmessage = (event) => {
          const data = JSON.parse(String(event.data)) as { type?: string; userId?: string | null };
          if (data.type === "hello") {
            resolve({ hello: data.userId ?? null });
            socket.close();
          }
        };
        socket.onclose = (event) => resolve({ closed: event.code });
      }),
  );
}

async function expectSignedOut(page: Page): Promise<void> {
  await expect(page.getByTestId("sign-in-link")).toBeVisible();
  await expect(page.getByTestId("current-user")).toHaveCount(0);
}

test.describe("revoked sessions (anonymous off)", () => {
  let app: AppServer;
  test.beforeAll(async () => {
    test.setTimeout(180_000); // users made by the CLI one after the other, then a production server
    // root is the admin (first user); alice signs out, carol deletes her account.
    app = await startAppServer({ users: ["root", "alice", "carol"] });
  });
  test.afterAll(async () => {
    await app?.stop();
  });

  test("after sign-out, a copy of the old cookie loads no signed-in page and keeps or opens no socket as alice", async ({ browser }) => {
    const aliceContext = await newContext(browser);
    const alice = await signIn(aliceContext, app.url, "alice");
    const aliceLog = logSockets(alice);
    await alice.reload();
    const aliceId = await connectedAs(alice, aliceLog);
    const stolen = await aliceContext.cookies();
    expect(stolen.map((cookie) => cookie.name)).toContain("authjs.session-token");

    // The thief's browser, with the copy: signed in as alice, socket open as alice.
    const thiefContext = await newContext(browser);
    await thiefContext.addCookies(stolen);
    const thief = await thiefContext.newPage();
    const thiefLog = logSockets(thief);
    await thief.goto(app.url);
    await expect(thief.getByTestId("current-user")).toContainText("alice");
    expect(await connectedAs(thief, thiefLog)).toBe(aliceId);

    // alice signs out: the copy's open socket is closed…
    await alice.getByTestId("sign-out").click();
    await expectSignedOut(alice);
    await expect.poll(() => thiefLog.closed).toBeGreaterThanOrEqual(1);
    // …its tab re-renders signed out, and no later socket of it is admitted as alice.
    await expectSignedOut(thief);
    await expect(thief.getByTestId("connection-state")).toHaveAttribute("data-state", "idle");

    // A fresh load with the copy: signed out, no socket.
    await thiefContext.addCookies(stolen);
    const fresh = await thiefContext.newPage();
    const freshLog = logSockets(fresh);
    await fresh.goto(app.url);
    await expectSignedOut(fresh);
    await fresh.goto(`${app.url}/account`);
    await expect(fresh.getByTestId("account-signin-prompt")).toBeVisible();
    // The gateway itself refuses the copy, asked directly.
    await thiefContext.addCookies(stolen);
    const attempt = await tryOpenSocket(fresh);
    expect(attempt).not.toHaveProperty("hello", aliceId);
    expect(attempt).toEqual({ closed: expect.any(Number) });

    // A message to alice reaches her new session elsewhere, never the copy.
    const laptop = await signIn(await newContext(browser), app.url, "alice");
    await expectConnected(laptop);
    const root = await signIn(await newContext(browser), app.url, "root");
    await sendFromDemo(root, { audience: "user", target: "alice", text: "For alice only" });
    await expect(toasts(laptop, "For alice only")).toBeVisible();
    for (const log of [thiefLog, freshLog]) expect(log.messages).not.toContain("For alice only");
    // The thief's tab was admitted as alice once, before the sign-out, and never again.
    expect(thiefLog.hellos.filter((id) => id === aliceId)).toHaveLength(1);
    expect(freshLog.hellos).toEqual([]);
  });

  test("a deleted user's cookie opens no socket and receives no authenticated broadcast", async ({ browser }) => {
    const carolContext = await newContext(browser);
    const carol = await signIn(carolContext, app.url, "carol");
    const carolLog = logSockets(carol);
    await carol.reload();
    const carolId = await connectedAs(carol, carolLog);
    const stolen = await carolContext.cookies();

    const thiefContext = await newContext(browser);
    await thiefContext.addCookies(stolen);
    const thief = await thiefContext.newPage();
    const thiefLog = logSockets(thief);
    await thief.goto(app.url);
    expect(await connectedAs(thief, thiefLog)).toBe(carolId);

    // carol deletes her account.
    await carol.goto(`${app.url}/account`);
    await carol.getByTestId("delete-account-form").locator('input[name="confirm"]').fill("carol");
    await carol.getByTestId("delete-account").click();
    await expectSignedOut(carol);
    await expect.poll(() => thiefLog.closed).toBeGreaterThanOrEqual(1);
    await expectSignedOut(thief);

    await thiefContext.addCookies(stolen);
    const fresh = await thiefContext.newPage();
    const freshLog = logSockets(fresh);
    await fresh.goto(app.url);
    await expectSignedOut(fresh);
    await thiefContext.addCookies(stolen);
    expect(await tryOpenSocket(fresh)).toEqual({ closed: expect.any(Number) });

    // A broadcast to signed-in users reaches root and never the copy.
    const root = await signIn(await newContext(browser), app.url, "root");
    await expectConnected(root);
    await sendFromDemo(root, { audience: "authenticated", text: "Members only, after the deletion" });
    await expect(toasts(root, "Members only, after the deletion")).toBeVisible();
    for (const log of [thiefLog, freshLog]) expect(log.messages).not.toContain("Members only, after the deletion");
    expect(thiefLog.hellos.filter((id) => id === carolId)).toHaveLength(1);
    expect(freshLog.hellos).toEqual([]);

    // And she cannot sign in again.
    const again = await (await newContext(browser)).newPage();
    await again.goto(`${app.url}/signin`);
    const form = again.getByTestId("signin-form");
    await form.locator('input[name="username"]').fill("carol");
    await form.locator('input[name="password"]').fill(PASSWORD);
    await form.locator('button[type="submit"]').click();
    await expect(again.getByTestId("signin-error")).toHaveText("Wrong username or password");
  });
});
