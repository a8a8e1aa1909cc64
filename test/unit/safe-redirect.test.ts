/**
 * The demo's post-sign-in destination (`safeRedirectPath`) over the hostile URL table: nothing of
 * the open-redirect family survives it, and what it returns is the resolved path.
 */
import { describe, expect, it } from "vitest";
import { safeRedirectPath } from "../../src/app/safe-redirect";
import { HOSTILE_URLS, SAFE_URLS } from "../fixtures/hostile-urls";

describe("safeRedirectPath", () => {
  it.each(HOSTILE_URLS)("turns $family $url into /", ({ url }) => {
    expect(safeRedirectPath(url)).toBe("/");
  });

  const samePaths = SAFE_URLS.flatMap(({ url, target }) => (url.startsWith("/") && target.kind === "path" ? [{ url, path: target.path }] : []));
  it.each(samePaths)("turns $url into $path", ({ url, path }) => {
    expect(safeRedirectPath(url)).toBe(path);
  });

  it("returns the resolved path, not the raw input", () => {
    expect(safeRedirectPath("/tasks/./a/../b?x=1")).toBe("/tasks/b?x=1");
  });

  it.each(["tasks", "https://app.example/tasks", "?x=1", 42, null, `/${"a".repeat(600)}`])("refuses %j (not a same-site path, or too long)", (value) => {
    expect(safeRedirectPath(value)).toBe("/");
  });
});
