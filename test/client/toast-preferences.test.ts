// @vitest-environment happy-dom
/**
 * Toast preferences: what is muted (levels, channels, prefixes), untrusted input read safely, and
 * the browser's stored copy followed by `useToastPreferences` in every tab (the `storage` event).
 */
import { createElement } from "react";
import { flushSync } from "react-dom";
import { createRoot } from "react-dom/client";
import { afterEach, describe, expect, it } from "vitest";
import {
  DEFAULT_TOAST_PREFERENCES,
  isToastMuted,
  parseToastPreferences,
  readStoredToastPreferences,
  TOAST_PREFERENCES_KEY,
  useToastPreferences,
  writeStoredToastPreferences,
} from "../../packages/next-channels-broadcast/src/client";
import type { ToastPreferencesControls } from "../../packages/next-channels-broadcast/src/client";

afterEach(() => localStorage.clear());

describe("isToastMuted", () => {
  const prefs = { mutedLevels: ["info"] as const, mutedChannels: ["all", "articles-*"] };
  it.each([
    [{ cssClass: "info", channel: "user:7" }, true],
    [{ cssClass: "success", channel: "all" }, true],
    [{ cssClass: "success", channel: "articles-42" }, true],
    [{ cssClass: "success", channel: "articlesX" }, false],
    [{ cssClass: "error", channel: "user:7" }, false],
    [{ cssClass: "warning", channel: undefined }, false],
  ] as const)("%o → %s", (frame, muted) => {
    expect(isToastMuted(frame, prefs)).toBe(muted);
  });
});

describe("parseToastPreferences", () => {
  it("keeps known levels and string channels, drops the rest", () => {
    expect(parseToastPreferences({ mutedLevels: ["info", "loud", 3], mutedChannels: ["all", "", 7, "all"] })).toEqual({ mutedLevels: ["info"], mutedChannels: ["all"] });
    expect(parseToastPreferences("nope")).toBe(DEFAULT_TOAST_PREFERENCES);
    expect(parseToastPreferences({ mutedChannels: Array.from({ length: 500 }, (_, n) => `c${n}`) }).mutedChannels).toHaveLength(100);
  });

  it("a corrupt stored value reads as nothing muted", () => {
    localStorage.setItem(TOAST_PREFERENCES_KEY, "{not json");
    expect(readStoredToastPreferences()).toBe(DEFAULT_TOAST_PREFERENCES);
  });
});

describe("useToastPreferences", () => {
  it("sets levels and channels, stores them, and follows a change made by another tab", () => {
    let controls: ToastPreferencesControls | null = null;
    function Form() {
      controls = useToastPreferences();
      return createElement("span", { "data-muted": controls.preferences.mutedLevels.join(",") });
    }
    const container = document.createElement("div");
    document.body.append(container);
    const root = createRoot(container);
    flushSync(() => root.render(createElement(Form)));
    flushSync(() => controls!.setLevelMuted("info", true));
    flushSync(() => controls!.setChannelMuted("all", true));
    expect(JSON.parse(localStorage.getItem(TOAST_PREFERENCES_KEY)!)).toEqual({ mutedLevels: ["info"], mutedChannels: ["all"] });
    expect(container.querySelector("span")!.dataset.muted).toBe("info");

    // Another tab writes; this one hears the storage event.
    localStorage.setItem(TOAST_PREFERENCES_KEY, JSON.stringify({ mutedLevels: ["warning", "error"], mutedChannels: [] }));
    flushSync(() => window.dispatchEvent(new StorageEvent("storage", { key: TOAST_PREFERENCES_KEY })));
    expect(container.querySelector("span")!.dataset.muted).toBe("warning,error");
    flushSync(() => controls!.setLevelMuted("error", false));
    expect(readStoredToastPreferences().mutedLevels).toEqual(["warning"]);
    flushSync(() => writeStoredToastPreferences(DEFAULT_TOAST_PREFERENCES));
    expect(container.querySelector("span")!.dataset.muted).toBe("");
    flushSync(() => root.unmount());
    container.remove();
  });
});
