/**
 * Presence in a real browser: the article page shows who reads it, live. Two readers of article 1
 * see "2 viewing"; when one navigates away the other sees "1 viewing" within a second; a visitor
 * on article 2 sees neither of them. Anonymous visitors are on here: they are counted, never listed.
 */
import { expect, test, type BrowserContext, type Page } from "@playwright/test";
import { startAppServer, type AppServer } from "./support/app-server";
import { expectLive, signIn } from "./support/pages";

let app: AppServer;
let contexts: BrowserContext[] = [];

test.beforeAll(async () => {
  test.setTimeout(180_000); // a production server start (and users made by the CLI) on a busy 2-core machine
  app = await startAppServer({ users: ["alice", "bob"], env: { ENABLE_ANONYMOUS: "true" } });
});
test.afterAll(async () => {
  await app?.stop();
});
test.afterEach(async () => {
  await Promise.all(contexts.map((context) => context.close()));
  contexts = [];
});

async function newContext(browser: import("@playwright/test").Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  contexts.push(context);
  return context;
}

const badge = (page: Page) => page.getByTestId("presence");
const memberTitles = (page: Page) => page.getByTestId("presence-member").evaluateAll((items) => items.map((item) => item.getAttribute("title")).sort());

test("two readers see each other; one leaves and the other sees it within a second; a visitor elsewhere sees neither", async ({ browser }) => {
  const alice = await signIn(await newContext(browser), app.url, "alice");
  const bob = await signIn(await newContext(browser), app.url, "bob");
  const visitor = await (await newContext(browser)).newPage();

  await alice.goto(`${app.url}/articles/1`);
  await bob.goto(`${app.url}/articles/1`);
  await visitor.goto(`${app.url}/articles/2`);
  await expectLive(alice, "articles-1");
  await expectLive(bob, "articles-1");
  await expectLive(visitor, "articles-2");

  for (const reader of [alice, bob]) {
    await expect(reader.getByTestId("presence-count")).toHaveText("2 viewing");
    await expect(badge(reader)).toHaveAttribute("data-channel", "articles-1");
    await expect.poll(() => memberTitles(reader)).toEqual(["alice", "bob"]);
    // Initials, drawn as text.
    await expect.poll(() => badge(reader).getByTestId("presence-member").allTextContents().then((texts) => texts.sort())).toEqual(["A", "B"]);
  }
  // The visitor on article 2 counts only themself, and is not listed (anonymous).
  await expect(visitor.getByTestId("presence-count")).toHaveText("1 viewing");
  await expect(badge(visitor)).toHaveAttribute("data-channel", "articles-2");
  await expect(visitor.getByTestId("presence-member")).toHaveCount(0);
  await expect(visitor.getByText("alice")).toHaveCount(0);

  // Bob navigates away inside the app (same socket; the page's channel is released once article
  // 2 is on screen): from then, alice sees it within a second.
  await bob.getByTestId("article-link-2").click();
  await expectLive(bob, "articles-2");
  await expect(alice.getByTestId("presence-count")).toHaveText("1 viewing", { timeout: 1_000 });
  await expect.poll(() => memberTitles(alice)).toEqual(["alice"]);
  // Bob is now with the visitor on article 2: 2 there, bob listed, the visitor counted only.
  await expect(visitor.getByTestId("presence-count")).toHaveText("2 viewing");
  await expect.poll(() => memberTitles(visitor)).toEqual(["bob"]);
  await expect(bob.getByTestId("presence-count")).toHaveText("2 viewing");
});

test("a reader with two tabs counts once", async ({ browser }) => {
  const context = await newContext(browser);
  const first = await signIn(context, app.url, "alice");
  const second = await context.newPage();
  const bob = await signIn(await newContext(browser), app.url, "bob");
  await first.goto(`${app.url}/articles/1`);
  await second.goto(`${app.url}/articles/1`);
  await bob.goto(`${app.url}/articles/1`);
  await expectLive(first, "articles-1");
  await expectLive(second, "articles-1");
  await expectLive(bob, "articles-1");
  await expect(bob.getByTestId("presence-count")).toHaveText("2 viewing");
  await expect.poll(() => memberTitles(bob)).toEqual(["alice", "bob"]);
  // She leaves when her last tab does.
  await second.close();
  await first.close();
  await expect(bob.getByTestId("presence-count")).toHaveText("1 viewing");
});
