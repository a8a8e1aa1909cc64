/**
 * Page helpers for the demo: sign in, send from the demo form, read toasts.
 */
import { expect, type BrowserContext, type Page } from "@playwright/test";
import { PASSWORD } from "./app-server";

/** Signs `username` in within `context` and returns a page on the home page. */
export async function signIn(context: BrowserContext, baseURL: string, username: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${baseURL}/signin`);
  const form = page.getByTestId("signin-form");
  await form.locator('input[name="username"]').fill(username);
  await form.locator('input[name="password"]').fill(PASSWORD);
  await form.locator('button[type="submit"]').click();
  await expect(page.getByTestId("current-user")).toContainText(username);
  return page;
}

/** Waits until the page's notification socket is open. */
export async function expectConnected(page: Page): Promise<void> {
  await expect(page.getByTestId("connection-state")).toHaveAttribute("data-state", "open");
}

export interface SendFields {
  audience: "all" | "authenticated" | "anonymous" | "user" | "object" | "channel";
  target?: string;
  kind?: "message" | "redirect" | "progress";
  text?: string;
  level?: "info" | "success" | "warning" | "error";
  url?: string;
  percent?: string;
}

/** Fills and submits the demo's send form on `page`; resolves with the result line. */
export async function sendFromDemo(page: Page, fields: SendFields): Promise<string> {
  const form = page.getByTestId("send-form");
  await form.locator('select[name="audience"]').selectOption(fields.audience);
  await form.locator('select[name="kind"]').selectOption(fields.kind ?? "message");
  if (fields.target !== undefined) await form.locator('input[name="target"]').fill(fields.target);
  if (fields.text !== undefined) await form.locator('[name="text"]').fill(fields.text);
  if (fields.level !== undefined) await form.locator('select[name="level"]').selectOption(fields.level);
  if (fields.url !== undefined) await form.locator('input[name="url"]').fill(fields.url);
  if (fields.percent !== undefined) await form.locator('input[name="percent"]').fill(fields.percent);
  const result = page.getByTestId("send-result");
  // Each answer of the server action carries a fresh `data-at`; wait for a new one.
  const before = (await result.count()) > 0 ? await result.getAttribute("data-at") : null;
  await form.locator('button[type="submit"]').click();
  await expect(result).not.toHaveAttribute("data-at", before ?? "");
  return (await result.textContent()) ?? "";
}

/** Toasts currently shown on `page` whose text contains `text`. */
export function toasts(page: Page, text: string) {
  return page.getByTestId("notification-toast").filter({ hasText: text });
}

/** Waits until the page's own channel (an article's, shown by its live badge) is held by the tab's socket. */
export async function expectLive(page: Page, channel: string): Promise<void> {
  const badge = page.getByTestId("channel-live");
  await expect(badge).toHaveAttribute("data-channel", channel);
  await expect(badge).toHaveAttribute("data-live", "true");
}

/** Posts a comment from the article page's form and waits for the server action's answer. */
export async function postComment(page: Page, body: string): Promise<void> {
  const form = page.getByTestId("comment-form");
  const result = page.getByTestId("comment-result");
  const before = await result.getAttribute("data-at");
  await form.locator('textarea[name="body"]').fill(body);
  await form.locator('button[type="submit"]').click();
  await expect(result).not.toHaveAttribute("data-at", before ?? "");
  await expect(result).toHaveAttribute("data-status", "posted");
}

/** Records the notification websockets `page` opens from now on (URLs, in order). */
export function recordSockets(page: Page): string[] {
  const urls: string[] = [];
  page.on("websocket", (socket) => {
    if (socket.url().includes("/ws/notifications")) urls.push(socket.url());
  });
  return urls;
}

/**
 * Sends a message to `username` through the app's publish endpoint (`NOTIFICATIONS_API_KEY`) and
 * expects it accepted.
 *
 * @example
 * await publishToUser(file.app.url, API_KEY, "alice", "Report ready", "success");
 */
export async function publishToUser(baseURL: string, apiKey: string, username: string, text: string, level?: "info" | "success" | "warning" | "error"): Promise<void> {
  const response = await fetch(`${baseURL}/api/notifications/publish`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ audience: "user", username, text, ...(level ? { level } : {}) }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
}
