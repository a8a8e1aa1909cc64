/**
 * Presence's pure parts: merging the entries of several processes (users once, expiry, the cap
 * and the count's precision past it), the diff sent to sockets, entry parsing, the browser's
 * store, and the settings.
 */
import { describe, expect, it } from "vitest";
import { encodeEntry, mergeEntries, parseEntry, type PresenceEntry } from "../../packages/next-channels-broadcast/src/server/presence/entry";
import { diffViews } from "../../packages/next-channels-broadcast/src/server/presence/tracker";
import { readSettings } from "../../packages/next-channels-broadcast/src/server/settings";
import { createPresenceStore } from "../../packages/next-channels-broadcast/src/client/presence-store";
import { InvalidSettingError } from "../../packages/next-channels-broadcast/src/shared/errors";

const NOW = 1_000_000;
const entry = (p: string, list: [string, number][], extra: Partial<PresenceEntry> = {}): PresenceEntry => ({
  p,
  exp: NOW + 10_000,
  users: list.length,
  anon: 0,
  list: list.map(([key, t]) => [key, t, { name: key }]),
  ...extra,
});

describe("mergeEntries", () => {
  it("counts a user listed by two processes once, and adds anonymous sockets unlisted", () => {
    const view = mergeEntries([entry("a", [["alice", 1], ["carol", 3]], { anon: 2 }), entry("b", [["bob", 2], ["carol", 4]], { anon: 1 })], NOW, 100);
    expect(view.count).toBe(3 + 3);
    expect(view.members.map((member) => member.key)).toEqual(["alice", "bob", "carol"]);
    expect(view.more).toBe(false);
  });

  it("ignores expired entries (a dead process)", () => {
    const view = mergeEntries([entry("a", [["alice", 1]]), entry("dead", [["bob", 2]], { exp: NOW, anon: 5 })], NOW, 100);
    expect(view).toEqual({ count: 1, members: [{ key: "alice", profile: { name: "alice" } }], more: false });
  });

  it("lists the earliest up to the cap; counts users a process holds unlisted", () => {
    const view = mergeEntries([entry("a", [["u1", 1], ["u2", 2]], { users: 500 }), entry("b", [["u3", 0]], { users: 1 })], NOW, 2);
    expect(view.members.map((member) => member.key)).toEqual(["u3", "u1"]);
    expect(view.count).toBe(501);
    expect(view.more).toBe(true);
  });

  it("takes the earliest join's profile when two processes list a user", () => {
    const a = entry("a", [["alice", 5]]);
    a.list[0]![2] = { name: "Alice (late)" };
    const b = entry("b", [["alice", 1]]);
    b.list[0]![2] = { name: "Alice" };
    expect(mergeEntries([a, b], NOW, 10).members).toEqual([{ key: "alice", profile: { name: "Alice" } }]);
  });
});

describe("entries on the wire", () => {
  it("round-trips, and refuses malformed entries without throwing", () => {
    const original = entry("a", [["alice", 1]], { anon: 3 });
    expect(parseEntry(encodeEntry(original))).toEqual(original);
    expect(parseEntry("nope")).toBeNull();
    expect(parseEntry(JSON.stringify({ ...original, users: -1 }))).toBeNull();
    expect(parseEntry(JSON.stringify({ ...original, list: [["k", 1, "not an object"]] }))).toBeNull();
  });
});

describe("diffViews", () => {
  const alice = { key: "a", profile: { name: "Alice" } };
  const bob = { key: "b", profile: { name: "Bob" } };
  it("names who joined and who left, or nothing when nothing changed", () => {
    expect(diffViews({ count: 1, members: [alice], more: false }, { count: 1, members: [bob], more: false })).toEqual({ count: 1, joined: [bob], left: ["a"], more: false });
    expect(diffViews({ count: 1, members: [alice], more: false }, { count: 1, members: [alice], more: false })).toBeNull();
  });
  it("sends a count-only change (past the cap, or an anonymous visitor)", () => {
    expect(diffViews({ count: 1, members: [alice], more: false }, { count: 2, members: [alice], more: false })).toEqual({ count: 2, joined: [], left: [], more: false });
  });
  it("re-sends a member whose profile changed", () => {
    expect(diffViews({ count: 1, members: [alice], more: false }, { count: 1, members: [{ key: "a", profile: { name: "Ada" } }], more: false })?.joined).toEqual([{ key: "a", profile: { name: "Ada" } }]);
  });
});

describe("the browser's presence store", () => {
  it("applies a whole frame then diffs, and forgets a channel the socket no longer holds", () => {
    const store = createPresenceStore();
    let changes = 0;
    store.subscribe(() => (changes += 1));
    store.receive({ type: "presence_diff", channel: "c", count: 9, joined: [], left: [], more: false });
    expect(store.get("c")).toBeNull(); // a diff before the whole frame is ignored
    store.receive({ type: "presence", channel: "c", count: 2, members: [{ key: "a", profile: {} }, { key: "b", profile: {} }], more: false });
    const first = store.get("c");
    expect(first).toEqual({ count: 2, members: [{ key: "a", profile: {} }, { key: "b", profile: {} }], more: false });
    expect(store.get("c")).toBe(first); // interned until it changes
    store.receive({ type: "presence_diff", channel: "c", count: 2, joined: [{ key: "d", profile: {} }], left: ["a"], more: false });
    expect(store.get("c")?.members.map((member) => member.key)).toEqual(["b", "d"]);
    store.receive({ type: "subscribed", channels: ["c"], granted: [] });
    expect(store.get("c")).not.toBeNull();
    store.receive({ type: "subscribed", channels: [], granted: [] });
    expect(store.get("c")).toBeNull();
    store.receive({ type: "presence", channel: "c", count: 1, members: [], more: false });
    store.receive({ type: "hello", protocol: 1, userId: null, channels: ["c"], heartbeatMs: 1000 });
    expect(store.get("c")).toBeNull(); // a new socket: the server sends it again
    expect(changes).toBe(5);
  });
});

describe("presence settings", () => {
  it("have defaults, and a bad value stops start-up naming the variable", () => {
    expect(readSettings({})).toMatchObject({ presenceTimeoutMs: 30_000, presenceMaxListed: 100, presenceFlushMs: 100 });
    expect(readSettings({ NOTIFICATIONS_PRESENCE_TIMEOUT_MS: "5000" }).presenceTimeoutMs).toBe(5_000);
    expect(() => readSettings({ NOTIFICATIONS_PRESENCE_TIMEOUT_MS: "10" })).toThrow(InvalidSettingError);
    expect(() => readSettings({ NOTIFICATIONS_PRESENCE_TIMEOUT_MS: "soon" })).toThrow(/NOTIFICATIONS_PRESENCE_TIMEOUT_MS/);
    expect(() => readSettings({ NOTIFICATIONS_PRESENCE_MAX_LISTED: "-1" })).toThrow(/NOTIFICATIONS_PRESENCE_MAX_LISTED/);
    expect(() => readSettings({}, { presenceFlushMs: 0 })).toThrow(/presenceFlushMs/);
  });
});
