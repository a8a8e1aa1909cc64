/**
 * Turns a URL from a notification into a navigation the browser may perform. Frames are
 * checked again here even though the send API refuses unsafe URLs: a frame can come from an
 * older server, another sender on the layer, or a bug.
 *
 * Every URL is resolved first (see `shared/urls.ts`) and only the resolved result is judged: the
 * path given to the router is rebuilt from it, and `performNavigation` refuses, once more, any
 * path the router could read as another host (`//evil.example/`) — whoever built the target.
 */
import { isRouterSafePath, PLACEHOLDER_ORIGIN, resolveNotificationURL } from "../shared/urls";

/** `push` stays in the app (client-side navigation); `assign` leaves for another http(s) origin. */
export type NavigationTarget = { kind: "push"; path: string } | { kind: "assign"; url: string };

/**
 * Classifies `url` against the page's origin; null means "do not navigate". A same-origin URL
 * becomes a `push` of the path rebuilt from the resolved URL; an absolute http(s) URL on another
 * origin an `assign`; everything that resolves to a path starting with `//` (`/.//evil.example/`,
 * `/%2e//evil.example/`, `..//evil.example/`), any backslash or control character, and every
 * other scheme, null.
 *
 * @example
 * resolveNavigation("/reports/42", "https://app.example")          // { kind: "push", path: "/reports/42" }
 * resolveNavigation("https://docs.example/x", "https://app.example") // { kind: "assign", url: "https://docs.example/x" }
 * resolveNavigation("/.//evil.example/", "https://app.example")     // null
 * resolveNavigation("javascript:alert(1)", "https://app.example")   // null
 */
export function resolveNavigation(url: string | null | undefined, origin: string): NavigationTarget | null {
  const check = resolveNotificationURL(url, origin);
  if (!check.ok) return null;
  return check.kind === "path" ? { kind: "push", path: check.path } : { kind: "assign", url: check.url };
}

/**
 * Where a redirect frame may take the page: a same-origin path, or null. A redirect is a
 * navigation nobody clicked, so it never leaves the origin (an absolute URL to another origin is
 * refused here, unlike a toast's click URL).
 *
 * @example
 * resolveRedirect("https://app.example/done?x=1", "https://app.example") // { kind: "push", path: "/done?x=1" }
 * resolveRedirect("https://docs.example/", "https://app.example")        // null
 */
export function resolveRedirect(url: string | null | undefined, origin: string): NavigationTarget | null {
  const target = resolveNavigation(url, origin);
  return target?.kind === "push" ? target : null;
}

/**
 * Is `target` still safe to perform? A `push` must be a path-absolute, same-origin-only path; an
 * `assign` an absolute http(s) URL that passes the same rules. Targets built by hand (a custom
 * renderer, an older caller) go through this too.
 */
function isSafeTarget(target: NavigationTarget): boolean {
  if (target.kind === "push") return isRouterSafePath(target.path);
  if (!/^https?:\/\//i.test(target.url)) return false;
  const check = resolveNotificationURL(target.url, PLACEHOLDER_ORIGIN);
  return check.ok && check.kind === "external";
}

/**
 * The href an anchor should show for a target, so hover, copy-link and new-tab work.
 *
 * @example
 * navigationHref({ kind: "push", path: "/reports/42" }) // "/reports/42"
 */
export function navigationHref(target: NavigationTarget): string {
  return target.kind === "push" ? target.path : target.url;
}

/** What performs a navigation: the Next router for in-app paths, `location.assign` otherwise. */
export interface Navigator {
  push(path: string): void;
  assign(url: string): void;
}

/**
 * Performs a resolved navigation; returns false when there was nothing safe to do — including a
 * target that did not come from `resolveNavigation` and would leave the site (`{ kind: "push",
 * path: "//evil.example/" }`).
 *
 * @example
 * performNavigation(resolveNavigation(frame.clickURL, location.origin), {
 *   push: (path) => router.push(path),
 *   assign: (url) => window.location.assign(url),
 * });
 */
export function performNavigation(target: NavigationTarget | null, navigator: Navigator): boolean {
  if (target === null) return false;
  if (!isSafeTarget(target)) {
    console.warn(`[notifications] refused to navigate to ${JSON.stringify(navigationHref(target))}: it could leave the site`);
    return false;
  }
  if (target.kind === "push") navigator.push(target.path);
  else navigator.assign(target.url);
  return true;
}
