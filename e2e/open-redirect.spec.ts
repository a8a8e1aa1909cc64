/**
 * The open redirect, in Chromium against the production build: URLs of the `/.//evil.example/`
 * family (dot segments, encoded dots, backslashes, tabs and newlines…) never take a tab off the
 * site — not as a redirect frame, not as a toast's click or close URL.
 *
 * The server refuses them now, so the hostile frames are put on the page's real socket by the
 * test itself (`context.routeWebSocket`: the page talks to the real server, and the test adds
 * frames as an older server or another sender on the layer could). Any request to
 * `evil.example` is caught and recorded (and answered locally), so "the tab stayed" is checked
 * both by the page's URL and by evil.example never being asked for anything. A positive control
 * at the end shows the detector does see a navigation there.
 */
import { expect, test, type Browser, type BrowserContext, type Page, type WebSocketRoute } from "@playwright/test";
import { HOSTILE_RELATIVE_URLS, HOSTILE_URLS, SAFE_URLS } from "../test/fixtures/hostile-urls";
import { PASSWORD, startAppServer, type AppServer } from "./support/app-server";
import { expectConnected, sendFromDemo, signIn, toasts } from "./support/pages";

const KEY = "e2e-open-redirect-key-0123456789abcdef";

let app: AppServer;
let context: BrowserContext;

interface Hooked {
  page: Page;
  /** Every request the browser made to evil.example (any scheme, any path). */
  evil: string[];
  /** Puts a frame on the page's open socket as if the server had sent it. */
  inject(frame: Record<string, unknown>): Promise<void>;
}

/** Alice's tab, its notification socket routed through the test, and requests to evil.example caught. */
async function hookedPage(browser: Browser): Promise<Hooked> {
  context = await browser.newContext();
  const evil: string[] = [];
  await context.route(
    (url) => url.hostname === "evil.example" || url.hostname.endsWith(".evil.example"),
    (route) => {
      evil.push(route.request().url());
      return route.fulfill({ status: 200, contentType: "text/html", body: "<h1>evil.example</h1>" });
    },
  );
  let socket: WebSocketRoute | undefined;
  await context.routeWebSocket(/\/ws\/notifications/, (ws) => {
    // Frames pass both ways untouched; the test only adds some.
    ws.connectToServer();
    socket = ws;
    ws.onClose(() => {
      if (socket === ws) socket = undefined;
    });
  });
  const page = await signIn(context, app.url, "alice");
  await expectConnected(page);
  return {
    page,
    evil,
    inject: async (frame) => {
      // A full page load (a 404 is one) opens a new socket: wait for it.
      await expectConnected(page);
      await expect.poll(() => socket !== undefined).toBe(true);
      socket!.send(JSON.stringify(frame));
    },
  };
}

const message = (fields: Record<string, unknown>) => ({ type: "message", cssClass: "info", clickURL: null, closeURL: null, hideCloseOption: false, ...fields });

/** A same-origin redirect injected last: once the tab is there, every earlier frame was handled, on the site. */
async function expectStillOnSite(hooked: Hooked, marker: string): Promise<void> {
  await hooked.inject({ type: "redirect", url: `/tasks/${marker}` });
  await expect(hooked.page).toHaveURL(`${app.url}/tasks/${marker}`);
  expect(new URL(hooked.page.url()).origin).toBe(app.url);
  expect(hooked.evil).toEqual([]);
}

test.describe("open redirect", () => {
  test.beforeAll(async () => {
    test.setTimeout(180_000); // a production server start on a busy 2-core machine
    // A generous endpoint rate: one test posts the whole table; the limit has its own tests.
    app = await startAppServer({ users: ["alice"], env: { NOTIFICATIONS_API_KEY: KEY, NOTIFICATIONS_API_RATE_PER_SECOND: "10000" } });
  });
  test.afterAll(async () => {
    await app?.stop();
  });
  test.afterEach(async () => {
    await context?.close();
  });

  test("Chromium resolves every URL of the table as the rules assume (Node's WHATWG URL parser)", async ({ browser }) => {
    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(app.url);
    const urls = [...HOSTILE_URLS, ...SAFE_URLS].map(({ url }) => url);
    const inChromium = await page.evaluate(
      (list) =>
        list.map((url) => {
          try {
            return new URL(url, location.origin).href;
          } catch {
            return null;
          }
        }),
      urls,
    );
    const inNode = urls.map((url) => {
      try {
        return new URL(url, app.url).href;
      } catch {
        return null;
      }
    });
    expect(inChromium).toEqual(inNode);
    // What the report was about: the dot-segment forms are protocol-relative paths to the browser.
    expect(await page.evaluate(() => new URL("/.//evil.example/", location.origin).pathname)).toBe("//evil.example/");
    expect(await page.evaluate(() => new URL("//evil.example/", location.origin).origin)).toBe("http://evil.example");
  });

  test("no redirect frame of the family moves the tab", async ({ browser }) => {
    test.setTimeout(180_000);
    const hooked = await hookedPage(browser);
    const redirects = [...HOSTILE_URLS.map(({ url }) => url), "https://evil.example/", "http://evil.example/", `${app.url}//evil.example/`, `${app.url}/.//evil.example/`];
    for (const [index, url] of redirects.entries()) {
      await hooked.inject({ type: "redirect", url });
      // A safe redirect after each: frames are handled in order, so once the tab is there the
      // hostile one was handled — and did not take the tab anywhere else first.
      await hooked.inject({ type: "redirect", url: `/?after=${index}` });
      await expect(hooked.page).toHaveURL(`${app.url}/?after=${index}`);
      expect(hooked.evil).toEqual([]);
    }
    await expectStillOnSite(hooked, "after-hostile-redirects");
  });

  test("%2f is not a slash: the redirect stays a path on the site, as the browser shows", async ({ browser }) => {
    const hooked = await hookedPage(browser);
    await hooked.inject({ type: "redirect", url: "/%2f/evil.example" });
    await expect(hooked.page).toHaveURL(`${app.url}/%2f/evil.example`);
    await hooked.inject({ type: "redirect", url: "/a/./b/../c" });
    await expect(hooked.page).toHaveURL(`${app.url}/a/c`);
    await expectStillOnSite(hooked, "after-encoded-slash");
  });

  test("a toast whose click and close URLs are of the family is plain text: clicking it or closing it goes nowhere", async ({ browser }) => {
    test.setTimeout(240_000); // some forty toasts, each clicked and closed
    const hooked = await hookedPage(browser);
    for (const [index, { url }] of HOSTILE_RELATIVE_URLS.entries()) {
      const text = `hostile click ${index}`;
      await hooked.inject(message({ text, clickURL: url, closeURL: url, cssClass: "error" }));
      const shown = toasts(hooked.page, text);
      // Hovering pauses react-hot-toast's timers: the toast stays until the test closes it.
      await shown.hover();
      // Counted on the element itself (a toHaveCount(0) would also pass once the toast is gone).
      expect(await shown.evaluate((element) => element.querySelectorAll("a, [href]").length)).toBe(0);
      await shown.getByText(text).click();
      await shown.getByRole("button", { name: "Dismiss notification" }).click();
      await expect(shown).toHaveCount(0);
      expect(hooked.page.url()).toBe(`${app.url}/`);
    }
    await expectStillOnSite(hooked, "after-hostile-clicks");
  });

  test("a safe click URL is a link to the rebuilt path, and clicking it stays on the site", async ({ browser }) => {
    const hooked = await hookedPage(browser);
    await hooked.inject(message({ text: "open the report", clickURL: "/tasks/./report/../clicked" }));
    const link = toasts(hooked.page, "open the report").getByTestId("notification-toast-link");
    await expect(link).toHaveAttribute("href", "/tasks/clicked");
    await link.click();
    await expect(hooked.page).toHaveURL(`${app.url}/tasks/clicked`);
    expect(hooked.evil).toEqual([]);
  });

  test("the real send paths refuse them: the HTTP endpoint with 400, the demo's form with the reason", async ({ browser }) => {
    const hooked = await hookedPage(browser);
    const post = (body: Record<string, unknown>) =>
      fetch(`${app.url}/api/notifications/publish`, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    for (const { url } of HOSTILE_URLS.filter(({ reason }) => reason !== "empty")) {
      for (const body of [
        { kind: "redirect", audience: "user", username: "alice", url },
        { audience: "all", text: "x", clickURL: url },
      ]) {
        const response = await post(body);
        expect(response.status, `${JSON.stringify(body)}`).toBe(400);
        expect(await response.json()).toMatchObject({ error: "invalid_notification", code: "UNSAFE_URL" });
      }
    }
    const refused = await sendFromDemo(hooked.page, { audience: "user", target: "alice", kind: "redirect", url: "/.//evil.example/" });
    expect(refused).toMatch(/is not allowed: it resolves to a path starting with \/\//);
    // A reload replays alice's inbox: nothing hostile was stored, so nothing fires.
    await hooked.page.reload();
    await expectConnected(hooked.page);
    expect(await post({ kind: "redirect", audience: "user", username: "alice", url: "/tasks/after-real-sends" }).then((r) => r.status)).toBe(200);
    await expect(hooked.page).toHaveURL(`${app.url}/tasks/after-real-sends`);
    expect(hooked.evil).toEqual([]);
  });

  test("the demo's sign-in does not follow a callbackUrl of the family off the site", async ({ browser }) => {
    context = await browser.newContext();
    const evil: string[] = [];
    await context.route(
      (url) => url.hostname === "evil.example",
      (route) => {
        evil.push(route.request().url());
        return route.fulfill({ status: 200, contentType: "text/html", body: "<h1>evil.example</h1>" });
      },
    );
    const page = await context.newPage();
    for (const callbackUrl of ["/.//evil.example/", "/%2e//evil.example/", "/..//evil.example/"]) {
      await context.clearCookies();
      await page.goto(`${app.url}/signin?callbackUrl=${encodeURIComponent(callbackUrl)}`);
      const form = page.getByTestId("signin-form");
      await form.locator('input[name="username"]').fill("alice");
      await form.locator('input[name="password"]').fill(PASSWORD);
      await form.locator('button[type="submit"]').click();
      await expect(page.getByTestId("current-user")).toContainText("alice");
      expect(new URL(page.url()).origin).toBe(app.url);
    }
    expect(evil).toEqual([]);
  });

  // Last, and on purpose: proves the evil.example trap sees a navigation when one happens.
  test("positive control: an absolute click URL to another site is still opened, and the trap sees it", async ({ browser }) => {
    const hooked = await hookedPage(browser);
    await hooked.inject(message({ text: "external docs", clickURL: "http://evil.example/landing" }));
    const link = toasts(hooked.page, "external docs").getByTestId("notification-toast-link");
    await expect(link).toHaveAttribute("href", "http://evil.example/landing");
    await link.click();
    await expect(hooked.page).toHaveURL("http://evil.example/landing");
    expect(hooked.evil).toEqual(["http://evil.example/landing"]);
  });
});
