import { describe, expect, it, vi } from "vitest";
import { performNavigation, resolveNavigation } from "../../src/notifications/client/navigation";
import { parseProgress, recordProgress, EMPTY_PROGRESS } from "../../src/notifications/client/progress";
import { buildNotificationSocketURL } from "../../src/notifications/client/socket-url";
import { createPositionTracker, DEFAULT_SETTLE_MS } from "../../src/notifications/client/position";
import { createSubscriptionRegistry } from "../../src/notifications/client/subscriptions";
import { isTokenExpired, readTokenClaims } from "../../src/notifications/client/token-claims";
import type { SubscribedFrame, SubscribeFrame, UnsubscribeFrame } from "../../src/notifications/shared/protocol";

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

describe("subscription registry (a recording link stands in for the socket)", () => {
  type Sent = SubscribeFrame | UnsubscribeFrame;
  function link(position: number | null = null) {
    const sent: Sent[] = [];
    return { sent, send: (frame: Sent) => (sent.push(frame), true), position: () => position };
  }
  const answer = (ref: string, granted: string[], extra: Partial<SubscribedFrame> = {}): SubscribedFrame => ({
    type: "subscribed",
    ref,
    channels: granted,
    granted,
    ...extra,
  });
  const tokenFor = (channels: string[]) => `${Buffer.from(JSON.stringify({ v: 1, u: "u1", c: channels, exp: 4_102_444_800 })).toString("base64url")}.sig`;

  it("re-sends what is still wanted on every new socket, one frame per request, each with its ref and the resume position", () => {
    const registry = createSubscriptionRegistry();
    const first = registry.add({ channels: ["a", "b", "a"] });
    registry.add({ token: "t" });
    const one = link();
    registry.connect(one, 17);
    expect(one.sent).toEqual([
      { type: "subscribe", ref: "s1", channels: ["a", "b"], lastId: 17 },
      { type: "subscribe", ref: "s2", token: "t", lastId: 17 },
    ]);
    registry.answer(answer("s1", ["a", "b"]));
    registry.answer(answer("s2", ["job-1"]));
    registry.removeChannels(["b"]);
    expect(one.sent.at(-1)).toEqual({ type: "unsubscribe", channels: ["b"] });
    first();
    first(); // idempotent
    expect(one.sent.at(-1)).toEqual({ type: "unsubscribe", ref: "s1" });
    expect(one.sent).toHaveLength(4);
    registry.disconnect(one);

    const two = link();
    registry.connect(two, null);
    expect(two.sent).toEqual([{ type: "subscribe", ref: "s2", token: "t" }]);
  });

  it("an empty request sends nothing, neither to subscribe nor to release, and stays idle", () => {
    const registry = createSubscriptionRegistry();
    const one = link();
    registry.connect(one, null);
    const handle = registry.add({});
    handle();
    expect(one.sent).toEqual([]);
    expect(handle.getState()).toEqual({ status: "idle" });
  });

  it("releases by ref whether or not the answer came; a late answer for a released request changes nothing", () => {
    const registry = createSubscriptionRegistry();
    const one = link();
    registry.connect(one, null);
    const unanswered = registry.add({ token: "t1" });
    const shared = registry.add({ channels: ["kept"] });
    unanswered();
    expect(one.sent.at(-1)).toEqual({ type: "unsubscribe", ref: "s1" });
    registry.answer(answer("s1", ["job-1"], { channels: ["kept", "job-1"] }));
    expect(registry.wanted()).toEqual(new Set(["kept"]));
    expect(unanswered.getState()).toEqual({ status: "idle" });
    const again = registry.add({ channels: ["kept"] });
    shared();
    expect(registry.wanted()).toEqual(new Set(["kept"]));
    again();
    expect(one.sent.slice(-2)).toEqual([
      { type: "unsubscribe", ref: "s2" },
      { type: "unsubscribe", ref: "s3" },
    ]);
  });

  it("a request made while no socket is attached is sent on the next, and only released on a socket that heard it", () => {
    const registry = createSubscriptionRegistry();
    const handle = registry.add({ channels: ["a"], since: 5 });
    expect(handle.getState()).toEqual({ status: "subscribing" });
    const one = link(99);
    registry.connect(one, 40);
    expect(one.sent).toEqual([{ type: "subscribe", ref: "s1", channels: ["a"], lastId: 5 }]);
    registry.disconnect(one);
    const two = link();
    handle(); // the new socket never heard of s1… but it was never connected either
    registry.connect(two, 40);
    expect(two.sent).toEqual([]);
  });

  it("refs are never reused", () => {
    const registry = createSubscriptionRegistry();
    const one = link();
    registry.connect(one, null);
    registry.add({ channels: ["a"] })();
    registry.add({ channels: ["a"] });
    expect(one.sent.at(-1)).toEqual({ type: "subscribe", ref: "s2", channels: ["a"] });
  });

  it("forgets a token request once every channel it granted was unsubscribed", () => {
    const registry = createSubscriptionRegistry();
    const one = link();
    registry.connect(one, null);
    const handle = registry.add({ token: "t" });
    registry.answer(answer("s1", ["job-1"]));
    registry.removeChannels(["job-1"]);
    expect(handle.getState()).toEqual({ status: "idle" });
    registry.disconnect(one);
    const two = link();
    registry.connect(two, null);
    expect(two.sent).toEqual([]);
  });

  it("channel states: from the token's payload before the answer, per-channel refusals after, the strongest request wins", () => {
    const registry = createSubscriptionRegistry();
    const changes: number[] = [];
    registry.listen(() => changes.push(1));
    expect(registry.channelState("jobs-1")).toEqual({ status: "idle" });
    const one = link();
    registry.connect(one, null);
    registry.add({ token: tokenFor(["jobs-1", "jobs-2"]) });
    registry.add({ channels: ["articles-1", "articles-2"] });
    expect(registry.channelState("jobs-2")).toEqual({ status: "subscribing" });
    expect(registry.channelState("articles-1")).toBe(registry.channelState("articles-2")); // interned
    registry.answer(answer("s1", [], { refused: [{ reason: "expired" }] }));
    registry.answer(answer("s2", ["articles-2"], { refused: [{ reason: "limit", channel: "articles-1" }] }));
    expect(registry.channelState("jobs-1")).toEqual({ status: "refused", reason: "expired" });
    expect(registry.channelState("articles-1")).toEqual({ status: "refused", reason: "limit" });
    expect(registry.channelState("articles-2")).toEqual({ status: "subscribed" });
    // Another request gets articles-1: that wins over the refusal.
    registry.add({ channels: ["articles-1"] });
    registry.answer(answer("s3", ["articles-1"]));
    expect(registry.channelState("articles-1")).toEqual({ status: "subscribed" });
    // Channels the socket holds from the handshake count too.
    registry.noteHeld(["articles-9"]);
    expect(registry.channelState("articles-9")).toEqual({ status: "subscribed" });
    registry.disconnect(one);
    expect(registry.channelState("articles-9")).toEqual({ status: "idle" });
    expect(registry.channelState("articles-2")).toEqual({ status: "subscribing" });
    expect(changes.length).toBeGreaterThan(5);
  });
});

describe("position tracker", () => {
  function clock() {
    let now = 1_000;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  }

  it("an id counts once it has been held settleMs; the close keeps only what settled", () => {
    const time = clock();
    const tracker = createPositionTracker({ initial: 42, settleMs: 2_500, now: time.now });
    tracker.received(57);
    expect(tracker.position()).toBe(42);
    time.advance(2_499);
    expect(tracker.position()).toBe(42);
    time.advance(1);
    expect(tracker.position()).toBe(57);
    tracker.received(60);
    time.advance(1_000);
    tracker.received(61);
    time.advance(2_000);
    expect(tracker.position()).toBe(60); // 61 needs 500 ms more
    expect(tracker.closed()).toBe(60);
    time.advance(10_000);
    expect(tracker.position()).toBe(60); // 61 was forgotten with the socket: never settles later
    expect(tracker.highest()).toBe(61);
  });

  it("out of order: 100 then 99; a lower id after a higher one never lowers anything", () => {
    const time = clock();
    const tracker = createPositionTracker({ settleMs: 100, now: time.now });
    tracker.received(100);
    time.advance(50);
    tracker.received(99);
    time.advance(50);
    expect(tracker.position()).toBe(100);
    time.advance(1_000);
    expect(tracker.position()).toBe(100);
  });

  it("a watermark raises at once; lower or invalid values are ignored", () => {
    const time = clock();
    const tracker = createPositionTracker({ initial: 10, now: time.now });
    tracker.received(20);
    tracker.raise(15);
    expect(tracker.position()).toBe(15);
    tracker.raise(5);
    tracker.raise(-1);
    tracker.raise(1.5);
    tracker.received(Number.NaN);
    expect(tracker.position()).toBe(15);
    time.advance(DEFAULT_SETTLE_MS);
    expect(tracker.position()).toBe(20);
  });

  it("stays bounded under a long burst of rising ids and still settles to the highest", () => {
    const time = clock();
    const tracker = createPositionTracker({ settleMs: 1_000, now: time.now });
    for (let id = 1; id <= 5_000; id += 1) {
      tracker.received(id);
      time.advance(0.1);
    }
    time.advance(1_000);
    expect(tracker.position()).toBe(5_000);
  });

  it("refuses a negative settle time", () => {
    expect(() => createPositionTracker({ settleMs: -1 })).toThrow(RangeError);
  });
});

describe("readTokenClaims", () => {
  it("reads channels and expiry from a token's payload, and nothing from garbage", () => {
    const payload = Buffer.from(JSON.stringify({ v: 1, u: "u1", c: ["jobs-7", 3], exp: 1_767_225_600 })).toString("base64url");
    expect(readTokenClaims(`${payload}.sig`)).toEqual({ channels: ["jobs-7"], expiresAt: 1_767_225_600_000 });
    expect(isTokenExpired(`${payload}.sig`, 1_767_225_600_000)).toBe(true);
    expect(isTokenExpired(`${payload}.sig`, 1_767_225_599_999)).toBe(false);
    for (const garbage of ["", "nodot", ".sig", "!!!.sig", `${Buffer.from("[1]").toString("base64url")}.sig`, `${Buffer.from("{").toString("base64url")}.x`]) {
      expect(readTokenClaims(garbage)).toEqual({ channels: [], expiresAt: null });
      expect(isTokenExpired(garbage, Date.now())).toBe(false);
    }
  });
});
