import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as api from "../../packages/next-channels-broadcast/src/server";
import { InvalidNotificationError, PublishError } from "../../packages/next-channels-broadcast/src/server";
import { installRuntime, uninstallRuntime, type NotificationsRuntime } from "../../packages/next-channels-broadcast/src/server/runtime";
import { readSettings, type NotificationSettings } from "../../packages/next-channels-broadcast/src/server/settings";
import { createRecordingLayer, type RecordingLayer } from "../helpers/recording-layer";

let layer: RecordingLayer;
let runtime: NotificationsRuntime;

function useSettings(overrides: Partial<NotificationSettings> = {}): void {
  if (runtime) uninstallRuntime(runtime);
  layer = createRecordingLayer();
  runtime = installRuntime({ settings: readSettings({}, overrides), layer });
}

beforeEach(() => useSettings({ enableAnonymous: true }));
afterEach(() => uninstallRuntime(runtime));

const message = (text: string, cssClass = "info", extra: Record<string, unknown> = {}) => ({
  type: "message",
  text,
  cssClass,
  clickURL: null,
  closeURL: null,
  hideCloseOption: false,
  ...extra,
});

describe("the 18 send functions", () => {
  const cases: [string, () => Promise<boolean>, string, Record<string, unknown>][] = [
    ["sendToAll", () => api.sendToAll("hi"), "all", message("hi", "info", { channel: "all" })],
    ["sendToAuthenticated", () => api.sendToAuthenticated("hi"), "authenticated", message("hi", "info", { channel: "authenticated" })],
    ["sendToAnonymous", () => api.sendToAnonymous("hi"), "anonymous", message("hi", "info", { channel: "anonymous" })],
    ["sendToUser", () => api.sendToUser("u-1", "hi"), "user:u-1", message("hi", "info", { channel: "user:u-1" })],
    ["sendToObject", () => api.sendToObject("articles-42", "hi"), "articles-42", message("hi", "info", { channel: "articles-42" })],
    ["sendToChannel", () => api.sendToChannel("job-7", "hi"), "job-7", message("hi", "info", { channel: "job-7" })],
    ["redirectAll", () => api.redirectAll("/a"), "all", { type: "redirect", url: "/a", channel: "all" }],
    ["redirectAuthenticated", () => api.redirectAuthenticated("/a"), "authenticated", { type: "redirect", url: "/a", channel: "authenticated" }],
    ["redirectAnonymous", () => api.redirectAnonymous("/a"), "anonymous", { type: "redirect", url: "/a", channel: "anonymous" }],
    ["redirectUser", () => api.redirectUser({ id: 5 }, "/a"), "user:5", { type: "redirect", url: "/a", channel: "user:5" }],
    ["redirectObject", () => api.redirectObject("articles-42", "/a"), "articles-42", { type: "redirect", url: "/a", channel: "articles-42" }],
    ["redirectChannel", () => api.redirectChannel("job-7", "https://example.com/x"), "job-7", { type: "redirect", url: "https://example.com/x", channel: "job-7" }],
    ["progressAll", () => api.progressAll(42), "all", { type: "progress", progress: true, percent: "42%", channel: "all" }],
    ["progressAuthenticated", () => api.progressAuthenticated("7"), "authenticated", { type: "progress", progress: true, percent: "7%", channel: "authenticated" }],
    ["progressAnonymous", () => api.progressAnonymous("73%"), "anonymous", { type: "progress", progress: true, percent: "73%", channel: "anonymous" }],
    ["progressUser", () => api.progressUser("u-1", 33.5), "user:u-1", { type: "progress", progress: true, percent: "33.5%", channel: "user:u-1" }],
    ["progressObject", () => api.progressObject("articles-42", 0), "articles-42", { type: "progress", progress: true, percent: "0%", channel: "articles-42" }],
    ["progressChannel", () => api.progressChannel("job-7", 100), "job-7", { type: "progress", progress: true, percent: "100%", channel: "job-7" }],
  ];

  it.each(cases)("%s publishes one frame to its group and returns true", async (_name, send, group, frame) => {
    await expect(send()).resolves.toBe(true);
    expect(layer.published).toEqual([{ group, frame }]);
  });

  it("carries level, clickURL, closeURL and hideCloseOption on the wire", async () => {
    await api.sendToUser("u-1", "done", { level: "success", clickURL: "/reports/1", closeURL: "https://example.com/bye", hideCloseOption: true });
    expect(layer.published[0]!.frame).toEqual(
      message("done", "success", { clickURL: "/reports/1", closeURL: "https://example.com/bye", hideCloseOption: true, channel: "user:u-1" }),
    );
  });

  it("notify returns the group, and the reason and setting when a gate is off", async () => {
    await expect(api.notify({ user: "u-1" }, { message: "x" })).resolves.toEqual({ sent: true, group: "user:u-1" });
    useSettings();
    await expect(api.notify("anonymous", { message: "x" })).resolves.toEqual({
      sent: false,
      group: "anonymous",
      reason: "audience-disabled",
      setting: "ENABLE_ANONYMOUS",
    });
  });
});

describe("gates", () => {
  const gated: [string, Partial<NotificationSettings>, (() => Promise<boolean>)[]][] = [
    ["ENABLE_ALL", { enableAll: false }, [() => api.sendToAll("x"), () => api.redirectAll("/x"), () => api.progressAll(1)]],
    [
      "ENABLE_AUTHENTICATED",
      { enableAuthenticated: false },
      [() => api.sendToAuthenticated("x"), () => api.sendToUser("u", "x"), () => api.redirectUser("u", "/x"), () => api.progressUser("u", 1), () => api.progressAuthenticated(1)],
    ],
    ["ENABLE_ANONYMOUS", { enableAnonymous: false }, [() => api.sendToAnonymous("x"), () => api.redirectAnonymous("/x"), () => api.progressAnonymous(1)]],
    [
      "ENABLE_PAGE_CHANNELS",
      { enablePageChannels: false },
      [() => api.sendToObject("a-1", "x"), () => api.sendToChannel("c", "x"), () => api.redirectChannel("c", "/x"), () => api.progressObject("a-1", 1)],
    ],
  ];

  it.each(gated)("%s off makes its sends no-ops that return false and publish nothing", async (_setting, settings, sends) => {
    useSettings(settings);
    for (const send of sends) await expect(send()).resolves.toBe(false);
    expect(layer.published).toEqual([]);
    // Other audiences are unaffected.
    const other = settings.enableAll === false ? api.sendToAuthenticated("y") : api.sendToAll("y");
    await expect(other).resolves.toBe(true);
  });

  it("anonymous is off by default", async () => {
    useSettings();
    await expect(api.sendToAnonymous("x")).resolves.toBe(false);
  });

  it("a disabled audience still validates its arguments", async () => {
    useSettings({ enableAll: false });
    await expect(api.sendToAll("")).rejects.toMatchObject({ code: "EMPTY_TEXT" });
  });
});

describe("argument rules", () => {
  it.each([
    [42, "42%"],
    [33.5, "33.5%"],
    ["73%", "73%"],
    ["7", "7%"],
    [0, "0%"],
    [100, "100%"],
  ])("percent %j becomes %j", async (input, expected) => {
    await api.progressAll(input);
    expect(layer.published[0]!.frame.percent).toBe(expected);
  });

  it.each([Number.NaN, -1, 100.5, Infinity, "abc", "", "-5%", "50%%", true, null, {}])("percent %j is refused with INVALID_PERCENT", async (bad) => {
    await expect(api.progressAll(bad as number)).rejects.toSatisfy((error) => error instanceof InvalidNotificationError && error.code === "INVALID_PERCENT");
    expect(layer.published).toEqual([]);
  });

  it("refuses an unknown level", async () => {
    await expect(api.sendToAll("x", { level: "fatal" as never })).rejects.toMatchObject({ code: "INVALID_LEVEL", name: "InvalidNotificationError" });
  });

  it.each(["", "   "])("refuses empty text %j", async (text) => {
    await expect(api.sendToAll(text)).rejects.toMatchObject({ code: "EMPTY_TEXT" });
  });

  it.each(["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "vbscript:x", "//evil.example/x", " javascript:alert(1)", "java\tscript:x", "/\\evil.example"])(
    "refuses the unsafe URL %j for redirects and click URLs",
    async (url) => {
      await expect(api.redirectAll(url)).rejects.toMatchObject({ code: "UNSAFE_URL" });
      await expect(api.sendToAll("x", { clickURL: url })).rejects.toMatchObject({ code: "UNSAFE_URL" });
      await expect(api.sendToAll("x", { closeURL: url })).rejects.toMatchObject({ code: "UNSAFE_URL" });
    },
  );

  it("refuses misspelled options instead of ignoring them", async () => {
    await expect(api.sendToAll("x", { levl: "error" } as never)).rejects.toThrow(/Unknown message option "levl"/);
  });

  it.each(["all", "user:5", "a b", "", "x".repeat(129), "-leading"])("refuses the channel name %j", async (name) => {
    await expect(api.sendToChannel(name, "x")).rejects.toMatchObject({ code: "INVALID_CHANNEL" });
  });

  it.each(["", null, undefined, { id: "" }, "x".repeat(256)])("refuses the user %j", async (user) => {
    await expect(api.sendToUser(user as never, "x")).rejects.toMatchObject({ code: "INVALID_USER" });
  });

  it("keeps two users' groups apart even when one id prefixes the other", async () => {
    await api.sendToUser("1", "a");
    await api.sendToUser("12", "b");
    expect(layer.published.map((entry) => entry.group)).toEqual(["user:1", "user:12"]);
  });

  it("wraps a layer failure in PublishError", async () => {
    layer.failNext = new Error("connection refused");
    const error = await api.sendToAll("x").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).code).toBe("PUBLISH_FAILED");
    expect((error as PublishError).cause).toBeInstanceOf(Error);
  });
});
