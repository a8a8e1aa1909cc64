/**
 * This tab's id: random, made once per page load, kept in memory only (a reload is a new tab as
 * far as refreshes go). A form sends it with a server action (`<RefreshOriginField />`) so the
 * `refresh` that action triggers can skip the tab that caused it, which re-renders anyway.
 */

let tabId: string | null = null;

/**
 * This tab's id (letters, digits, `-`), the same for the page's lifetime. In the browser only.
 *
 * @example
 * const origin = getTabId(); // "b3c1f0d2-…"
 */
export function getTabId(): string {
  tabId ??= typeof crypto !== "undefined" && typeof crypto.randomUUID === "function" ? crypto.randomUUID() : Math.random().toString(36).slice(2) + Date.now().toString(36);
  return tabId;
}

export { REFRESH_ORIGIN_FIELD } from "../shared/protocol.js";
