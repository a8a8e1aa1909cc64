/**
 * The demo's admin page (built on the kit's `getStats()`): the live socket count follows tabs
 * opening and closing, a send shows up with its audience and receivers, and anyone but an admin
 * gets a 404.
 */
import { expect, test, type BrowserContext } from "@playwright/test";
import { startAppServer, type AppServer } from "./support/app-server";
import { expectConnected, sendFromDemo, signIn } from "./support/pages";

let app: AppServer;
let contexts: BrowserContext[] = [];

test.beforeAll(async () => {
  test.setTimeout(180_000); // a production server start (and users made by the CLI) on a busy 2-core machine
  app = await startAppServer({ users: ["ada", "bob"] }); // ada, the first, is the admin
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

test("the socket count follows a tab opening and closing; a send is listed with its audience", async ({ browser }) => {
  const admin = await signIn(await newContext(browser), app.url, "ada");
  await admin.goto(`${app.url}/admin`);
  const sockets = admin.getByTestId("admin-sockets");
  // The admin's own tab holds one socket.
  await expect(sockets).toHaveText("1");

  const bobContext = await newContext(browser);
  const bob = await signIn(bobContext, app.url, "bob");
  await expectConnected(bob);
  await expect(sockets).toHaveText("2");
  await expect(admin.getByTestId("admin-users")).toHaveText("2");

  await admin.goto(`${app.url}/`);
  await expect(await sendFromDemo(admin, { text: "Hello bob", audience: "user", target: "bob" })).toMatch(/Sent/i);
  await admin.goto(`${app.url}/admin`);
  await expect(admin.getByTestId("admin-sends").locator("tbody tr").first()).toContainText("message");
  await expect(admin.getByTestId("admin-sends").locator("tbody tr").first()).toContainText("user");

  await bob.close();
  await expect(sockets).toHaveText("1");
});

test("anyone but an admin gets a 404", async ({ browser }) => {
  const bob = await signIn(await newContext(browser), app.url, "bob");
  const response = await bob.goto(`${app.url}/admin`);
  expect(response?.status()).toBe(404);
  const anonymous = await (await newContext(browser)).newPage();
  expect((await anonymous.goto(`${app.url}/admin`))?.status()).toBe(404);
});
