/**
 * The demo's admin page (built on the kit's `getStats()`): the live socket count follows tabs
 * opening and closing, a send shows up with its audience and receivers, and anyone but an admin
 * gets a 404.
 */
import { expect, test } from "@playwright/test";
import { appServerPerFile } from "./support/per-file";
import { expectConnected, sendFromDemo, signIn } from "./support/pages";

const file = appServerPerFile({ users: ["ada", "bob"] }); // ada, the first, is the admin

test("the socket count follows a tab opening and closing; a send is listed with its audience", async ({ browser }) => {
  const admin = await signIn(await file.newContext(browser), file.app.url, "ada");
  await admin.goto(`${file.app.url}/admin`);
  const sockets = admin.getByTestId("admin-sockets");
  // The admin's own tab holds one socket.
  await expect(sockets).toHaveText("1");

  const bobContext = await file.newContext(browser);
  const bob = await signIn(bobContext, file.app.url, "bob");
  await expectConnected(bob);
  await expect(sockets).toHaveText("2");
  await expect(admin.getByTestId("admin-users")).toHaveText("2");

  await admin.goto(`${file.app.url}/`);
  await expect(await sendFromDemo(admin, { text: "Hello bob", audience: "user", target: "bob" })).toMatch(/Sent/i);
  await admin.goto(`${file.app.url}/admin`);
  await expect(admin.getByTestId("admin-sends").locator("tbody tr").first()).toContainText("message");
  await expect(admin.getByTestId("admin-sends").locator("tbody tr").first()).toContainText("user");

  await bob.close();
  await expect(sockets).toHaveText("1");
});

test("anyone but an admin gets a 404", async ({ browser }) => {
  const bob = await signIn(await file.newContext(browser), file.app.url, "bob");
  const response = await bob.goto(`${file.app.url}/admin`);
  expect(response?.status()).toBe(404);
  const anonymous = await (await file.newContext(browser)).newPage();
  expect((await anonymous.goto(`${file.app.url}/admin`))?.status()).toBe(404);
});
