/**
 * URL safety rules shared by the send API (which refuses unsafe URLs up front) and the
 * browser (which double-checks before navigating, in case a frame came from elsewhere).
 */

const SAFE_ABSOLUTE = /^https?:\/\//i;

/**
 * True when `url` is a relative path on this site (`/reports/42`, `reports?x=1`, `#top`) or an
 * absolute `http:`/`https:` URL. Schemes such as `javascript:`, `data:` or `vbscript:`, and
 * protocol-relative `//host` forms, are refused.
 *
 * @example
 * isAllowedNotificationURL("/reports/42")           // true
 * isAllowedNotificationURL("javascript:alert(1)")   // false
 */
export function isAllowedNotificationURL(url: string): boolean {
  if (typeof url !== "string") return false;
  const trimmed = url.trim();
  if (trimmed === "" || trimmed !== url) return false;
  // Control characters and backslashes are how scheme filters get bypassed in browsers.
  if (/[\u0000-\u001f\u007f\\]/.test(url)) return false;
  if (SAFE_ABSOLUTE.test(url)) {
    try {
      new URL(url);
      return true;
    } catch {
      return false;
    }
  }
  if (url.startsWith("//")) return false;
  // A relative reference must not start with a scheme (`name:` before any `/ ? #`).
  return !/^[a-z][a-z0-9+.-]*:/i.test(url);
}

/**
 * Resolves `url` against `origin` and returns the same-origin path (`/a?b#c`) or null when
 * the URL is unsafe or points to another origin. Used before a forced navigation (redirect).
 *
 * @example
 * sameOriginPath("/done", "https://app.example")                    // "/done"
 * sameOriginPath("https://evil.example/", "https://app.example")    // null
 */
export function sameOriginPath(url: string, origin: string): string | null {
  if (!isAllowedNotificationURL(url)) return null;
  let resolved: URL;
  try {
    resolved = new URL(url, origin);
  } catch {
    return null;
  }
  if (resolved.origin !== new URL(origin).origin) return null;
  return `${resolved.pathname}${resolved.search}${resolved.hash}`;
}
