/**
 * Turns a URL from a notification into a navigation the browser may perform. Frames are
 * checked again here even though the send API refuses unsafe URLs: a frame can come from an
 * older server, another sender on the layer, or a bug.
 */
import { isAllowedNotificationURL, sameOriginPath } from "../shared/urls";

/** `push` stays in the app (client-side navigation); `assign` leaves for another http(s) origin. */
export type NavigationTarget = { kind: "push"; path: string } | { kind: "assign"; url: string };

/**
 * Classifies `url` against the page's origin; null means "do not navigate".
 *
 * @example
 * resolveNavigation("/reports/42", "https://app.example")          // { kind: "push", path: "/reports/42" }
 * resolveNavigation("https://docs.example/x", "https://app.example") // { kind: "assign", url: "https://docs.example/x" }
 * resolveNavigation("javascript:alert(1)", "https://app.example")   // null
 */
export function resolveNavigation(url: string | null | undefined, origin: string): NavigationTarget | null {
  if (typeof url !== "string" || url === "") return null;
  const path = sameOriginPath(url, origin);
  if (path !== null) return { kind: "push", path };
  if (!isAllowedNotificationURL(url)) return null;
  try {
    const absolute = new URL(url);
    if (absolute.protocol === "http:" || absolute.protocol === "https:") return { kind: "assign", url: absolute.href };
  } catch {
    // A relative URL that did not resolve to this origin: nothing safe to do with it.
  }
  return null;
}

/** The href an anchor should show for a target, so hover, copy-link and new-tab work. */
export function navigationHref(target: NavigationTarget): string {
  return target.kind === "push" ? target.path : target.url;
}

/** What performs a navigation: the Next router for in-app paths, `location.assign` otherwise. */
export interface Navigator {
  push(path: string): void;
  assign(url: string): void;
}

/**
 * Performs a resolved navigation; returns false when there was nothing safe to do.
 *
 * @example
 * performNavigation(resolveNavigation(frame.clickURL, location.origin), {
 *   push: (path) => router.push(path),
 *   assign: (url) => window.location.assign(url),
 * });
 */
export function performNavigation(target: NavigationTarget | null, navigator: Navigator): boolean {
  if (target === null) return false;
  if (target.kind === "push") navigator.push(target.path);
  else navigator.assign(target.url);
  return true;
}
