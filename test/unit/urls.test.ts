/**
 * The URL rules (`shared/urls.ts`) over the whole hostile table: every URL is judged after it is
 * resolved as a browser resolves it, on the send side (placeholder origin) and against a page.
 */
import { describe, expect, it } from "vitest";
import {
  describeURLRefusal,
  isAllowedNotificationURL,
  isRouterSafePath,
  notificationURLRefusal,
  PLACEHOLDER_ORIGIN,
  resolveNotificationURL,
  sameOriginPath,
} from "../../src/notifications/shared/urls";
import { HOSTILE_URLS, SAFE_URLS, TABLE_ORIGIN } from "../fixtures/hostile-urls";

describe("the hostile table is what it claims to be", () => {
  // Without these, a case could sit in the table and prove nothing.
  it.each(HOSTILE_URLS.filter(({ family }) => ["dot segment", "encoded dot", "backslash", "tab or newline", "protocol-relative"].includes(family)))(
    "$family $url: a browser's URL parser takes it off the site (or to a // path)",
    ({ url }) => {
      const resolved = new URL(url, TABLE_ORIGIN);
      expect(resolved.origin !== TABLE_ORIGIN || resolved.pathname.startsWith("//")).toBe(true);
    },
  );

  it("the %2f cases really stay on the site", () => {
    expect(new URL("/%2f/evil.example", TABLE_ORIGIN).href).toBe(`${TABLE_ORIGIN}/%2f/evil.example`);
  });
});

describe("resolveNotificationURL", () => {
  it.each(HOSTILE_URLS)("refuses $family $url as $reason, on the send side and on a page", ({ url, reason }) => {
    expect(resolveNotificationURL(url, TABLE_ORIGIN)).toEqual({ ok: false, reason });
    expect(resolveNotificationURL(url, "http://localhost:3000/some/page")).toEqual({ ok: false, reason });
    expect(notificationURLRefusal(url)).toBe(reason);
    expect(isAllowedNotificationURL(url)).toBe(false);
    expect(sameOriginPath(url, TABLE_ORIGIN)).toBeNull();
  });

  it.each(SAFE_URLS)("accepts $url as $target", ({ url, target }) => {
    expect(resolveNotificationURL(url, TABLE_ORIGIN)).toEqual({ ok: true, ...target });
    expect(isAllowedNotificationURL(url)).toBe(true);
    expect(sameOriginPath(url, TABLE_ORIGIN)).toBe(target.kind === "path" ? target.path : null);
  });

  it("rebuilds the path from the resolved URL, so the router gets a path that lands where the URL did", () => {
    for (const { url, target } of SAFE_URLS) {
      if (target.kind !== "path") continue;
      expect(isRouterSafePath(target.path)).toBe(true);
      // Next's router resolves against the current page, not the origin.
      expect(new URL(target.path, `${TABLE_ORIGIN}/deep/page/?q=1`).href).toBe(new URL(url, TABLE_ORIGIN).href);
    }
  });

  it("resolves relative URLs against the origin's root, whatever page the origin string names", () => {
    expect(resolveNotificationURL("reports/1", "https://app.example/a/b/c")).toEqual({ ok: true, kind: "path", path: "/reports/1" });
    expect(resolveNotificationURL(".//evil.example/", "https://app.example/a/b/")).toEqual({ ok: false, reason: "double-slash-path" });
  });

  it("an absolute URL on the page's own origin is a path; with another port or scheme it is another origin", () => {
    expect(resolveNotificationURL("http://localhost:3000/x", "http://localhost:3000")).toEqual({ ok: true, kind: "path", path: "/x" });
    expect(resolveNotificationURL("http://localhost:3001/x", "http://localhost:3000")).toEqual({ ok: true, kind: "external", url: "http://localhost:3001/x" });
    expect(resolveNotificationURL("https://localhost:3000/x", "http://localhost:3000")).toEqual({ ok: true, kind: "external", url: "https://localhost:3000/x" });
  });

  it("refuses everything when the page has no http(s) origin (a sandboxed or file: page reports \"null\")", () => {
    expect(resolveNotificationURL("/reports", "null")).toEqual({ ok: false, reason: "unparseable" });
    expect(resolveNotificationURL("/reports", "file:///tmp/x.html")).toEqual({ ok: false, reason: "unparseable" });
  });

  it.each([undefined, null, 42, {}, ["/x"]])("refuses the non-string %j as empty", (url) => {
    expect(resolveNotificationURL(url, TABLE_ORIGIN)).toEqual({ ok: false, reason: "empty" });
  });

  it("refuses an absolute URL the parser rejects", () => {
    expect(resolveNotificationURL("https://exa mple.com/", TABLE_ORIGIN)).toEqual({ ok: false, reason: "unparseable" });
    expect(resolveNotificationURL("http://[::1/", TABLE_ORIGIN)).toEqual({ ok: false, reason: "unparseable" });
  });

  it("the send side's placeholder origin is a reserved name no site can have", () => {
    expect(new URL(PLACEHOLDER_ORIGIN).hostname.endsWith(".invalid")).toBe(true);
  });

  it("says why in words, naming the // rule for dot segments", () => {
    expect(describeURLRefusal("double-slash-path")).toMatch(/path starting with \/\/.*dot segments/);
    expect(describeURLRefusal("scheme")).toMatch(/http\(s\)/);
  });
});

describe("isRouterSafePath", () => {
  it.each(["/", "/reports", "/a//b", "/%2f%2fevil.example", "/x?next=//evil.example#//evil"])("allows %j", (path) => {
    expect(isRouterSafePath(path)).toBe(true);
  });

  it.each(["//evil.example/", "/.//evil.example/", "/%2e//evil.example/", "/a/..//evil.example", "/\\evil.example", "/\t/evil.example", "reports", "", "https://app.example/", "/x\n", "\\/evil"])("refuses %j", (path) => {
    expect(isRouterSafePath(path)).toBe(false);
  });
});
