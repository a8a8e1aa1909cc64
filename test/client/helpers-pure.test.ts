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
  const answer = (ref: string, granted: string[], channels = granted) => ({ type: "subscribed" as const, ref, channels, granted });

  it("re-sends what is still wanted, one frame per request, each with its ref", () => {
    const registry = createSubscriptionRegistry();
    const first = registry.add({ channels: ["a", "b", "a"] });
    registry.add({ token: "t" });
    expect(first.frame).toEqual({ type: "subscribe", ref: "s1", channels: ["a", "b"] });
    expect(registry.removeChannels(["b"])).toEqual({ type: "unsubscribe", channels: ["b"] });
    expect(registry.resendFrames()).toEqual([
      { type: "subscribe", ref: "s1", channels: ["a"] },
      { type: "subscribe", ref: "s2", token: "t" },
    ]);
    expect(registry.release(first.entry)).toEqual({ type: "unsubscribe", ref: "s1" });
    expect(registry.release(first.entry)).toBeNull();
    expect(registry.resendFrames()).toEqual([{ type: "subscribe", ref: "s2", token: "t" }]);
  });

  it("an empty request sends nothing, neither to subscribe nor to release", () => {
    const registry = createSubscriptionRegistry();
    const { entry, frame } = registry.add({});
    expect(frame).toBeNull();
    expect(registry.release(entry)).toBeNull();
  });

  it("releases by ref whether or not the answer came: the server counts holds per request", () => {
    const registry = createSubscriptionRegistry();
    const unanswered = registry.add({ token: "t1" }).entry;
    const shared = registry.add({ channels: ["kept"] }).entry;
    expect(registry.release(unanswered)).toEqual({ type: "unsubscribe", ref: "s1" });
    // A late answer for a released request changes nothing.
    registry.noteSubscribed(answer("s1", ["job-1"], ["kept", "job-1"]));
    expect(registry.wanted()).toEqual(new Set(["kept"]));
    // Two requests naming the same channel: each releases only its own hold.
    const again = registry.add({ channels: ["kept"] }).entry;
    expect(registry.release(shared)).toEqual({ type: "unsubscribe", ref: "s2" });
    expect(registry.wanted()).toEqual(new Set(["kept"]));
    expect(registry.release(again)).toEqual({ type: "unsubscribe", ref: "s3" });
    expect(registry.resendFrames()).toEqual([]);
  });

  it("learns what a token grants from the answer to its ref", () => {
    const registry = createSubscriptionRegistry();
    const entry = registry.add({ token: "t" }).entry;
    registry.noteSubscribed(answer("s1", ["job-1"], ["x", "job-1"]));
    expect([...entry.granted]).toEqual(["job-1"]);
    expect(registry.wanted()).toEqual(new Set(["job-1"]));
  });

  it("refs are never reused", () => {
    const registry = createSubscriptionRegistry();
    registry.release(registry.add({ channels: ["a"] }).entry);
    expect(registry.add({ channels: ["a"] }).frame).toEqual({ type: "subscribe", ref: "s2", channels: ["a"] });
  });

  it("forgets a token entry once every channel it granted was unsubscribed", () => {
    const registry = createSubscriptionRegistry();
    const entry = registry.add({ token: "t" }).entry;
    registry.noteSubscribed(answer("s1", ["job-1"], ["x", "job-1"]));
    registry.removeChannels(["job-1"]);
    expect(registry.resendFrames()).toEqual([]);
    expect(registry.release(entry)).toBeNull();
  });
});
