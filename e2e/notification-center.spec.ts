/**
 * The notification center in the demo: the bell's count is rendered by the server (in the HTML,
 * no flash), follows new messages live, and a read in one tab reaches the user's other tabs and
 * devices at once — and survives a reload; another user's count is untouched.
 */
import { expect, type Page } from "@playwright/test";
import { test } from "@playwright/test";
import { appServerPerFile } from "./support/per-file";
import { publishToUser, signIn, toasts } from "./support/pages";
import { RenderLog } from "./support/render-log";

const API_KEY = "e2e-center-key-0123456789abcdef";
const file = appServerPerFile({ users: ["alice", "bob", "carol"], env: { NOTIFICATIONS_API_KEY: API_KEY, NOTIFICATIONS_API_RATE_PER_SECOND: "1000" } });

const sendTo = (username: string, text: string, level?: "info" | "success") => publishToUser(file.app.url, API_KEY, username, text, level);

const bell = (page: Page) => page.getByTestId("notification-bell");

test("three messages count in every tab and device; a read in one tab and mark-all-read reach all of them; bob is untouched", async ({ browser }) => {
  const aliceDevice1 = await file.newContext(browser);
  const tab1 = await signIn(aliceDevice1, file.app.url, "alice");
  const tab2 = await aliceDevice1.newPage();
  await tab2.goto(file.app.url);
  const otherDevice = await signIn(await file.newContext(browser), file.app.url, "alice");
  const bob = await signIn(await file.newContext(browser), file.app.url, "bob");
  const alices = [tab1, tab2, otherDevice];
  for (const page of [...alices, bob]) await expect(bell(page)).toHaveAttribute("aria-label", "Notifications, none unread");

  for (const text of ["Report one", "Report two", "Report three"]) await sendTo("alice", text);
  for (const page of alices) {
    await expect(toasts(page, "Report three")).toBeVisible();
    await expect(bell(page)).toHaveAttribute("aria-label", "Notifications, 3 unread");
  }

  // The first render already has the count: it is in the server's HTML.
  const html = await (await tab1.request.get(file.app.url)).text();
  expect(html).toContain('aria-label="Notifications, 3 unread"');

  await bell(tab1).click();
  const panel = tab1.getByTestId("notification-panel");
  await panel.getByTestId("notification-item").filter({ hasText: "Report two" }).getByRole("button", { name: "Mark as read" }).click();
  for (const page of alices) await expect(bell(page)).toHaveAttribute("aria-label", "Notifications, 2 unread");
  await otherDevice.reload();
  await expect(bell(otherDevice)).toHaveAttribute("aria-label", "Notifications, 2 unread");

  await panel.getByRole("button", { name: "Mark all as read" }).click();
  for (const page of alices) await expect(bell(page)).toHaveAttribute("aria-label", "Notifications, none unread");
  await expect(bell(bob)).toHaveAttribute("aria-label", "Notifications, none unread");
  await sendTo("bob", "For bob");
  await expect(bell(bob)).toHaveAttribute("aria-label", "Notifications, 1 unread");
  await expect(bell(tab1)).toHaveAttribute("aria-label", "Notifications, none unread");
});

test("the history page lists them, newest first, read and unread", async ({ browser }) => {
  await sendTo("bob", "Older for bob");
  await sendTo("bob", "Newest for bob");
  const page = await signIn(await file.newContext(browser), file.app.url, "bob");
  await page.goto(`${file.app.url}/notifications`);
  const items = page.getByTestId("notifications-page").getByTestId("notification-item");
  await expect(items.nth(0)).toContainText("Newest for bob");
  await expect(items.nth(1)).toContainText("Older for bob");
  await expect(items.nth(0)).toHaveAttribute("data-read", "false");
});

test("muting info toasts on one tab: an info message toasts in no tab yet counts in the bell and lists in the panel; a success still toasts", async ({ browser }) => {
  const context = await file.newContext(browser);
  // Counts every toast ever rendered, so "never shown" is not "gone by the time we looked".
  const log = await RenderLog.attach(context);
  const settings = await signIn(context, file.app.url, "carol");
  await settings.goto(`${file.app.url}/notifications`);
  const other = await context.newPage();
  await other.goto(file.app.url);
  await settings.getByTestId("toast-preferences").locator('input[name="mute-level-info"]').check();

  await sendTo("carol", "Quiet info report", "info");
  await sendTo("carol", "Loud success report", "success");
  for (const page of [settings, other]) {
    await expect(toasts(page, "Loud success report")).toBeVisible();
    // Sent before the success on the same socket: had it toasted, it would have been recorded first.
    expect(log.of(page).timesShown("Quiet info report")).toBe(0);
    await expect(bell(page)).toHaveAttribute("aria-label", "Notifications, 2 unread");
  }
  await bell(other).click();
  await expect(other.getByTestId("notification-panel").getByTestId("notification-item").filter({ hasText: "Quiet info report" })).toBeVisible();

  // Unmuted again (in the other tab's view too, through the browser's storage): info toasts again.
  await settings.getByTestId("toast-preferences").locator('input[name="mute-level-info"]').uncheck();
  await sendTo("carol", "Info after unmuting", "info");
  for (const page of [settings, other]) await expect(toasts(page, "Info after unmuting")).toBeVisible();
});
