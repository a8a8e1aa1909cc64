import { describe, expect, it, vi } from "vitest";
import { performNavigation, resolveNavigation } from "../../src/notifications/client/navigation";
import { parseProgress, recordProgress, EMPTY_PROGRESS } from "../../src/notifications/client/progress";
import { buildNotificationSocketURL } from "../../src/notifications/client/socket-url";
import { createSubscriptionRegistry } from "../../src/notifications/client/subscriptions";

const ORIGIN = "https://app.example";

describe("resolveNavigation", () => {
  it.each([
    ["/reports/42?x=1#top", { kind: "push", path: "/reports/42?x=1#top" }],
    ["reports", { kind: "push", path: "/reports" }],
    ["https://app.example/a", { kind: "push", path: "/a" }],
    ["https://docs.example/guide", { kind: "assign", url: "https://docs.example/guide" }],
    ["http://other.example", { kind: "assign", url: "http://other.example/" }],
  ])("%s → %j", (url, target) => {
    expect(resolveNavigation(url, ORIGIN)).toEqual(target);
  });

  it.each(["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x", "//evil.example/", " /padded", "java\tscript:x", "\\\\evil", "", null, undefined])(
    "refuses %j",
    (url) => {
      expect(resolveNavigation(url, ORIGIN)).toBeNull();
    },
  );

  it("performs push in-app and assign elsewhere, nothing for null", () => {
    const navigator = { push: vi.fn(), assign: vi.fn() };
    expect(performNavigation({ kind: "push", path: "/a" }, navigator)).toBe(true);
    expect(performNavigation({ kind: "assign", url: "https://x.example/" }, navigator)).toBe(true);
    expect(performNavigation(null, navigator)).toBe(false);
    expect(navigator.push.mock.calls).toEqual([["/a"]]);
    expect(navigator.assign.mock.calls).toEqual([["https://x.example/"]]);
  });
});

describe("buildNotificationSocketURL", () => {
  it("uses wss on https pages and ws on http, same host and port", () => {
    expect(buildNotificationSocketURL({ protocol: "https:", host: "app.example" })).toBe("wss://app.example/ws/notifications");
    expect(buildNotificationSocketURL({ protocol: "http:", host: "localhost:3000" }, "/custom/ws")).toBe("ws://localhost:3000/custom/ws");
  });

  it.each(["ws/notifications", "//evil.example/ws", "wss://evil.example/ws"])("refuses path %s", (path) => {
    expect(() => buildNotificationSocketURL({ protocol: "http:", host: "a" }, path)).toThrow(/path/);
  });
});

describe("parseProgress", () => {
  const frame = (percent: string) => ({ type: "progress" as const, progress: true as const, percent, channel: "jobs-1" });

  it("reads percentages", () => {
    expect(parseProgress(frame("42%"))).toEqual({ percent: 42, label: "42%", channel: "jobs-1" });
    expect(parseProgress(frame("33.5%"))).toEqual({ percent: 33.5, label: "33.5%", channel: "jobs-1" });
    expect(parseProgress(frame("100"))).toEqual({ percent: 100, label: "100%", channel: "jobs-1" });
  });

  it.each(["abc", "-5%", "101%", "", "NaN%", "1e3%"])("refuses %j", (percent) => {
    expect(parseProgress(frame(percent))).toBeNull();
  });

  it("records per channel and remembers the latest", () => {
    const a = { percent: 10, label: "10%", channel: "a" };
    const b = { percent: 20, label: "20%", channel: "b" };
    const store = recordProgress(recordProgress(EMPTY_PROGRESS, a), b);
    expect(store.byChannel).toEqual({ a, b });
    expect(store.latest).toBe(b);
    expect(EMPTY_PROGRESS.byChannel).toEqual({});
  });
});

describe("subscription registry", () => {
  it("re-sends what is still wanted, one frame per request", () => {
    const registry = createSubscriptionRegistry();
    const first = registry.add({ channels: ["a", "b", "a"] });
    registry.add({ token: "t" });
    expect(first.frame).toEqual({ type: "subscribe", ref: "s1", channels: ["a", "b"] });
    expect(registry.removeChannels(["b"])).toEqual({ type: "unsubscribe", channels: ["b"] });
    expect(registry.resendFrames()).toEqual([
      { type: "subscribe", ref: "s1", channels: ["a"] },
      { type: "subscribe", ref: "s2", token: "t" },
    ]);
    expect(registry.release(first.entry)).toEqual({ type: "unsubscribe", channels: ["a"] });
    expect(registry.release(first.entry)).toBeNull();
    expect(registry.resendFrames()).toEqual([{ type: "subscribe", ref: "s2", token: "t" }]);
  });

  it("an empty request sends nothing", () => {
    expect(createSubscriptionRegistry().add({}).frame).toBeNull();
  });

  it("a token released before its answer: the answer's new channels are unsubscribed, pending tokens asked again", () => {
    const registry = createSubscriptionRegistry();
    const first = registry.add({ token: "t1" });
    registry.add({ channels: ["kept"] });
    expect(registry.release(first.entry)).toBeNull(); // nothing known yet
    registry.add({ token: "t3" });
    expect(registry.noteSubscribed({ type: "subscribed", ref: "s1", channels: ["kept", "job-1"] }, ["kept"])).toEqual([
      { type: "unsubscribe", channels: ["job-1"] },
      { type: "subscribe", ref: "s3", token: "t3" },
    ]);
    // Answered once: a second answer for a released ref does nothing.
    expect(registry.noteSubscribed({ type: "subscribed", ref: "s1", channels: ["kept"] }, ["kept"])).toEqual([]);
    // The retried token learns its channel and releasing it drops that channel.
    expect(registry.noteSubscribed({ type: "subscribed", ref: "s3", channels: ["kept", "job-1"] }, ["kept"])).toEqual([]);
    expect(registry.resendFrames()).toEqual([
      { type: "subscribe", ref: "s2", channels: ["kept"] },
      { type: "subscribe", ref: "s3", token: "t3" },
    ]);
  });

  it("an answered token released later unsubscribes at once and waits for nothing", () => {
    const registry = createSubscriptionRegistry();
    const entry = registry.add({ token: "t" }).entry;
    expect(registry.noteSubscribed({ type: "subscribed", ref: "s1", channels: ["job-1"] }, [])).toEqual([]);
    expect(registry.release(entry)).toEqual({ type: "unsubscribe", channels: ["job-1"] });
    expect(registry.noteSubscribed({ type: "subscribed", ref: "s1", channels: ["job-1"] }, [])).toEqual([]);
  });

  it("a reconnect forgets releases still waiting for an answer from the old socket", () => {
    const registry = createSubscriptionRegistry();
    registry.release(registry.add({ token: "t" }).entry);
    expect(registry.resendFrames()).toEqual([]);
    expect(registry.noteSubscribed({ type: "subscribed", ref: "s1", channels: ["job-1"] }, [])).toEqual([]);
  });

  it("forgets a token entry once every channel it granted was unsubscribed", () => {
    const registry = createSubscriptionRegistry();
    registry.add({ token: "t" });
    registry.noteSubscribed({ type: "subscribed", ref: "s1", channels: ["x", "job-1"] }, ["x"]);
    registry.removeChannels(["job-1"]);
    expect(registry.resendFrames()).toEqual([]);
  });
});
