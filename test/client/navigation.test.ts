/**
 * `navigation.ts` over the hostile URL table: what a toast's click/close URL and a redirect may
 * do in the browser, and `performNavigation` refusing unsafe targets whoever built them.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { navigationHref, performNavigation, resolveNavigation, resolveRedirect, type NavigationTarget } from "../../src/notifications/client/navigation";
import { HOSTILE_URLS, SAFE_URLS, TABLE_ORIGIN } from "../fixtures/hostile-urls";

afterEach(() => {
  vi.restoreAllMocks();
});

const asNavigation = (target: (typeof SAFE_URLS)[number]["target"]): NavigationTarget =>
  target.kind === "path" ? { kind: "push", path: target.path } : { kind: "assign", url: target.url };

describe("resolveNavigation (click and close URLs)", () => {
  it.each(HOSTILE_URLS)("refuses $family $url", ({ url }) => {
    expect(resolveNavigation(url, TABLE_ORIGIN)).toBeNull();
  });

  it.each(SAFE_URLS)("$url → $target", ({ url, target }) => {
    expect(resolveNavigation(url, TABLE_ORIGIN)).toEqual(asNavigation(target));
  });

  it.each([null, undefined])("refuses %j", (url) => {
    expect(resolveNavigation(url, TABLE_ORIGIN)).toBeNull();
  });

  it("the href shown on a link is the rebuilt path, never the raw input", () => {
    expect(navigationHref(resolveNavigation("/a/./b/../c?x#y", TABLE_ORIGIN)!)).toBe("/a/c?x#y");
    expect(navigationHref(resolveNavigation("reports", TABLE_ORIGIN)!)).toBe("/reports");
  });
});

describe("resolveRedirect", () => {
  it.each(HOSTILE_URLS)("refuses $family $url", ({ url }) => {
    expect(resolveRedirect(url, TABLE_ORIGIN)).toBeNull();
  });

  it.each(SAFE_URLS)("$url: followed only when it stays on the origin", ({ url, target }) => {
    expect(resolveRedirect(url, TABLE_ORIGIN)).toEqual(target.kind === "path" ? { kind: "push", path: target.path } : null);
  });
});

describe("performNavigation", () => {
  it("pushes in-app paths, assigns other origins, does nothing for null", () => {
    const navigator = { push: vi.fn(), assign: vi.fn() };
    expect(performNavigation({ kind: "push", path: "/a" }, navigator)).toBe(true);
    expect(performNavigation({ kind: "assign", url: "https://x.example/" }, navigator)).toBe(true);
    expect(performNavigation(null, navigator)).toBe(false);
    expect(navigator.push.mock.calls).toEqual([["/a"]]);
    expect(navigator.assign.mock.calls).toEqual([["https://x.example/"]]);
  });

  // Targets that did not come from resolveNavigation: an older caller, a custom renderer.
  it.each<NavigationTarget>([
    { kind: "push", path: "//evil.example/" },
    { kind: "push", path: "/\\evil.example" },
    { kind: "push", path: "/\t/evil.example" },
    { kind: "push", path: "/.//evil.example/" },
    { kind: "push", path: "https://evil.example/" },
    { kind: "push", path: "evil" },
    { kind: "assign", url: "javascript:alert(1)" },
    { kind: "assign", url: "//evil.example/" },
    { kind: "assign", url: "/reports" },
    { kind: "assign", url: "https://evil.example//x" },
    { kind: "assign", url: "https://app.example@evil.example/" },
  ])("refuses the hand-made target %j, and says so", (target) => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const navigator = { push: vi.fn(), assign: vi.fn() };
    expect(performNavigation(target, navigator)).toBe(false);
    expect(navigator.push).not.toHaveBeenCalled();
    expect(navigator.assign).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/refused to navigate/));
  });

  it.each(SAFE_URLS)("performs what resolveNavigation gives for $url", ({ url }) => {
    const navigator = { push: vi.fn(), assign: vi.fn() };
    expect(performNavigation(resolveNavigation(url, TABLE_ORIGIN), navigator)).toBe(true);
    expect(navigator.push.mock.calls.length + navigator.assign.mock.calls.length).toBe(1);
  });
});
