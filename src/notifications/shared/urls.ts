/**
 * URL safety rules shared by the send API (which refuses unsafe URLs up front) and the
 * browser (which checks again before navigating, in case a frame came from elsewhere).
 *
 * The rule is "resolve, then check". A string check on the raw input is how open redirects
 * happen: `/.//evil.example/` does not start with `//`, yet a browser's URL parser collapses the
 * dot segment and yields the path `//evil.example/`, which `router.push` (and any `<a href>`)
 * reads as protocol-relative — another site. So every URL is resolved the way a browser does
 * (WHATWG URL: tabs and newlines stripped, `\` read as `/`, `%2e` dot segments decoded, `..`
 * collapsed) against an origin, and only the resolved result is judged. The path handed to the
 * router is rebuilt from that result, never the raw input.
 */

/**
 * The origin relative URLs are resolved against when the real one is unknown (the send side: a
 * server, worker or CLI does not know which origin the browser will be on). `.invalid` is a
 * reserved top-level domain, so it can never be a real site.
 */
export const PLACEHOLDER_ORIGIN = "https://placeholder.invalid";

/** Why a URL was refused; stable strings, safe to branch on. */
export type URLRefusal =
  /** Not a string, or an empty one. */
  | "empty"
  /** Leading or trailing whitespace (browsers strip it silently, hiding what the URL is). */
  | "whitespace"
  /** A control character (tab, newline…) or a backslash: both are rewritten by URL parsers. */
  | "control-character"
  /** A scheme other than `http://` / `https://` (`javascript:`, `data:`, `https:host`…). */
  | "scheme"
  /** A user name or password in the URL (`https://app.example@evil.example/`): only used to deceive. */
  | "credentials"
  /** It resolves to another origin although written as a relative URL (`//evil.example`). */
  | "protocol-relative"
  /** Its resolved path starts with `//`, which a router or a link would read as another host. */
  | "double-slash-path"
  /** The URL parser could not make a URL of it. */
  | "unparseable";

/** Where a notification URL may take the browser once resolved. */
export type NotificationURLTarget =
  /** A path on the page's own origin (`/reports/42?x#y`), rebuilt from the resolved URL: safe for `router.push`. */
  | { kind: "path"; path: string }
  /** An absolute `http(s)` URL on another origin (normalised `href`): only for `location.assign`, never for a redirect. */
  | { kind: "external"; url: string };

/** The outcome of {@link resolveNotificationURL}. */
export type NotificationURLCheck = ({ ok: true } & NotificationURLTarget) | { ok: false; reason: URLRefusal };

const ABSOLUTE_HTTP = /^https?:\/\//i;
/** A scheme is a name followed by `:` before any `/`, `?` or `#`. */
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:/i;
/** C0 controls, DEL, C1 controls and the backslash: parsers strip or rewrite them. */
const REWRITTEN_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\\]/;

const REFUSAL_MESSAGES: Record<URLRefusal, string> = {
  empty: "it is empty",
  whitespace: "it has leading or trailing whitespace",
  "control-character": "it contains a control character or a backslash, which browsers rewrite",
  scheme: "only relative paths and http(s):// URLs are allowed",
  credentials: "it carries a user name or password",
  "protocol-relative": "it resolves to another site (a protocol-relative URL)",
  "double-slash-path": "it resolves to a path starting with // (dot segments such as /./ or /../ collapse into it), which a browser reads as another site",
  unparseable: "it is not a valid URL",
};

/**
 * A sentence saying why a URL was refused, for error messages.
 *
 * @example
 * describeURLRefusal("double-slash-path") // "it resolves to a path starting with // …"
 */
export function describeURLRefusal(reason: URLRefusal): string {
  return REFUSAL_MESSAGES[reason];
}

/** The origin of `origin` (`https://app.example/x` → `https://app.example`), or null unless http(s). */
function httpOrigin(origin: string): URL | null {
  try {
    const base = new URL(origin);
    return base.protocol === "http:" || base.protocol === "https:" ? new URL(base.origin) : null;
  } catch {
    return null;
  }
}

/**
 * Is `path` safe to give a router that resolves it against the current page (Next's
 * `router.push` does `new URL(path, location.href)`, and later uses the resolved path as a URL)?
 * True only for a path-absolute reference (`/x`, not `//x`, not `/\x`) with no character a URL
 * parser strips or rewrites, whose resolved path does not start with `//` either (`/.//x` does).
 * Such a path lands on the page's own origin, whatever the page's URL.
 *
 * @example
 * isRouterSafePath("/reports/42?x=1#top") // true
 * isRouterSafePath("//evil.example/")     // false
 * isRouterSafePath("/.//evil.example/")   // false
 * isRouterSafePath("/\tevil.example")     // false
 */
export function isRouterSafePath(path: string): boolean {
  if (typeof path !== "string" || !/^\/(?![/\\])/.test(path) || REWRITTEN_CHARACTERS.test(path)) return false;
  try {
    const resolved = new URL(path, `${PLACEHOLDER_ORIGIN}/some/deep/page?q#h`);
    return resolved.origin === PLACEHOLDER_ORIGIN && !resolved.pathname.startsWith("//");
  } catch {
    return false;
  }
}

/**
 * Resolves a notification URL (`clickURL`, `closeURL`, a redirect's `url`) against `origin` as a
 * browser would, and says where it leads — or why it is refused. Relative URLs resolve against
 * the origin's root (`reports/1` → `/reports/1`), the same on every page.
 *
 * Refused: empty input, surrounding whitespace, control characters and backslashes, any scheme
 * but `http://`/`https://`, credentials, and anything whose resolved path starts with `//`
 * (`/.//evil.example/`, `/%2e//evil.example/`, `..//evil.example/`…) or that resolves to another
 * origin although written as a relative URL. An absolute http(s) URL on another origin is
 * `external` — the caller decides whether that is allowed (a click may, a redirect may not).
 *
 * @example
 * resolveNotificationURL("reports/1?x=2", "https://app.example")   // { ok: true, kind: "path", path: "/reports/1?x=2" }
 * resolveNotificationURL("https://docs.example/a", "https://app.example") // { ok: true, kind: "external", url: "https://docs.example/a" }
 * resolveNotificationURL("/.//evil.example/", "https://app.example")      // { ok: false, reason: "double-slash-path" }
 */
export function resolveNotificationURL(url: unknown, origin: string): NotificationURLCheck {
  if (typeof url !== "string" || url === "") return { ok: false, reason: "empty" };
  if (url.trim() !== url) return { ok: false, reason: "whitespace" };
  if (REWRITTEN_CHARACTERS.test(url)) return { ok: false, reason: "control-character" };
  const absolute = ABSOLUTE_HTTP.test(url);
  // `https:evil.example` (no slashes) is relative on an https page and absolute on an http one:
  // anything with a scheme must spell out `http(s)://`.
  if (!absolute && HAS_SCHEME.test(url)) return { ok: false, reason: "scheme" };
  const base = httpOrigin(origin);
  if (base === null) return { ok: false, reason: "unparseable" };

  let resolved: URL;
  try {
    resolved = absolute ? new URL(url) : new URL(url, base);
  } catch {
    return { ok: false, reason: "unparseable" };
  }
  if (resolved.protocol !== "http:" && resolved.protocol !== "https:") return { ok: false, reason: "scheme" };
  if (resolved.username !== "" || resolved.password !== "") return { ok: false, reason: "credentials" };
  if (resolved.pathname.startsWith("//")) return { ok: false, reason: "double-slash-path" };
  if (resolved.origin !== base.origin) {
    return absolute ? { ok: true, kind: "external", url: resolved.href } : { ok: false, reason: "protocol-relative" };
  }
  const path = `${resolved.pathname}${resolved.search}${resolved.hash}`;
  // Belt and braces: the rebuilt path must land exactly where the resolved URL did, from any page.
  if (!isRouterSafePath(path) || new URL(path, `${base.origin}/some/deep/page?q#h`).href !== resolved.href) {
    return { ok: false, reason: "double-slash-path" };
  }
  return { ok: true, kind: "path", path };
}

/**
 * Why `url` may not be sent in a notification, or null when it may. Used by the send API, which
 * does not know the browser's origin: relative URLs are resolved against {@link PLACEHOLDER_ORIGIN}.
 *
 * @example
 * notificationURLRefusal("/reports/42")          // null
 * notificationURLRefusal("/..//evil.example/")   // "double-slash-path"
 */
export function notificationURLRefusal(url: unknown): URLRefusal | null {
  const check = resolveNotificationURL(url, PLACEHOLDER_ORIGIN);
  return check.ok ? null : check.reason;
}

/**
 * True when `url` may be sent as a notification URL: a relative URL that resolves to a path on
 * the page's own origin (`/reports/42`, `reports?x=1`, `#top`), or an absolute `http:`/`https:`
 * URL. Schemes such as `javascript:`, `data:` or `vbscript:`, protocol-relative `//host` forms and
 * everything that resolves to one (`/.//host`, `/%2e//host`, `..//host`, `/\host`, `/\t/host`) are
 * refused.
 *
 * @example
 * isAllowedNotificationURL("/reports/42")           // true
 * isAllowedNotificationURL("/.//evil.example/")     // false
 * isAllowedNotificationURL("javascript:alert(1)")   // false
 */
export function isAllowedNotificationURL(url: string): boolean {
  return notificationURLRefusal(url) === null;
}

/**
 * Resolves `url` against `origin` and returns the same-origin path (`/a?b#c`), rebuilt from the
 * resolved URL, or null when the URL is unsafe or leads to another origin. Used before a forced
 * navigation (redirect): the result is always safe for `router.push`.
 *
 * @example
 * sameOriginPath("/done", "https://app.example")                    // "/done"
 * sameOriginPath("https://app.example/done", "https://app.example") // "/done"
 * sameOriginPath("https://evil.example/", "https://app.example")    // null
 * sameOriginPath("/.//evil.example/", "https://app.example")        // null
 */
export function sameOriginPath(url: string, origin: string): string | null {
  const check = resolveNotificationURL(url, origin);
  return check.ok && check.kind === "path" ? check.path : null;
}
