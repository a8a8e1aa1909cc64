/**
 * The presence tracker's ordering of what it hears (pub/sub) against what it reads (the shared
 * entries): the two travel on different connections, so a read issued before news arrived may
 * answer older state, and must not undo the news. A memory layer carries the pub/sub; its shared
 * entries' `read` is held back by the test to force the crossing.
 */
import { describe, expect, it } from "vitest";
import { createMemoryLayer } from "../../packages/next-channels-broadcast/src/server/layer/memory";
import type { ChannelLayer } from "../../packages/next-channels-broadcast/src/server/layer/types";
import { encodeEntry } from "../../packages/next-channels-broadcast/src/server/presence/entry";
import { presenceGroup, PresenceTracker, type PresenceSocket } from "../../packages/next-channels-broadcast/src/server/presence/tracker";
import { readSettings } from "../../packages/next-channels-broadcast/src/server/settings";

function heldReads(inner: ChannelLayer) {
  const waiting: { resolve: (value: Map<string, string>) => void }[] = [];
  const layer: ChannelLayer = {
    ...inner,
    kind: inner.kind,
    publish: (group, frame) => inner.publish(group, frame),
    subscribe: (group, listener) => inner.subscribe(group, listener),
    close: () => inner.close(),
    presence: {
      write: (...args) => inner.presence!.write(...args),
      remove: (...args) => inner.presence!.remove(...args),
      read: () => new Promise((resolve) => waiting.push({ resolve })),
    },
  };
  return { layer, waiting };
}

function socket(userId: string, channel: string): PresenceSocket & { frames: string[] } {
  const frames: string[] = [];
  return { user: { id: userId, expiresAt: null }, inGroup: (group) => group === channel, closing: false, frames, deliver: (payload) => void frames.push(payload.toString()) };
}

const other = (list: [string, string][], exp = Date.now() + 60_000) =>
  encodeEntry({ p: "other-process", exp, users: list.length, anon: 0, list: list.map(([key, name]) => [key, 1, { name }]) });

describe("PresenceTracker: pub/sub news against reads of the shared entries", () => {
  it("keeps an entry heard while an older read was in flight", async () => {
    const { layer, waiting } = heldReads(createMemoryLayer());
    const tracker = new PresenceTracker({ layer, settings: readSettings({}, { presenceFlushMs: 10 }), presence: { channels: () => true }, logger: console });
    await tracker.enter(socket("alice", "room-1"), "room-1");
    // The initial read is issued once the pub/sub subscription is up.
    while (waiting.length === 0) await new Promise((resolve) => setImmediate(resolve));
    // Another process announces bob, then the read (issued before) answers without him.
    await layer.publish(presenceGroup("room-1"), other([["kb", "bob"]]));
    waiting.shift()!.resolve(new Map());
    await new Promise((resolve) => setImmediate(resolve));
    const view = await tracker.view("room-1");
    expect(view.count).toBe(2);
    expect(view.members.map((member) => member.profile.name)).toContain("bob");
    await tracker.close();
  });

  it("keeps a departure heard while an older read was in flight", async () => {
    const { layer, waiting } = heldReads(createMemoryLayer());
    const tracker = new PresenceTracker({ layer, settings: readSettings({}, { presenceFlushMs: 10 }), presence: { channels: () => true }, logger: console });
    await tracker.enter(socket("alice", "room-1"), "room-1");
    while (waiting.length === 0) await new Promise((resolve) => setImmediate(resolve));
    await layer.publish(presenceGroup("room-1"), encodeEntry({ p: "other-process", exp: 0, users: 0, anon: 0, list: [] }));
    // The read was answered by Redis before the other process left: it still lists bob.
    waiting.shift()!.resolve(new Map([["other-process", other([["kb", "bob"]])]]));
    await new Promise((resolve) => setImmediate(resolve));
    expect((await tracker.view("room-1")).count).toBe(1);
    await tracker.close();
  });

  it("takes what a read finds when nothing newer was heard, and ignores expired entries", async () => {
    const { layer, waiting } = heldReads(createMemoryLayer());
    const tracker = new PresenceTracker({ layer, settings: readSettings({}, { presenceFlushMs: 10 }), presence: { channels: () => true }, logger: console });
    await tracker.enter(socket("alice", "room-1"), "room-1");
    while (waiting.length === 0) await new Promise((resolve) => setImmediate(resolve));
    waiting.shift()!.resolve(new Map([["other-process", other([["kb", "bob"]])], ["dead-process", other([["kc", "carol"]], Date.now() - 1)]]));
    await new Promise((resolve) => setImmediate(resolve));
    const view = await tracker.view("room-1");
    expect(view.members.map((member) => member.profile.name)).toContain("bob");
    expect(view.count).toBe(2);
    expect(view.members.some((member) => member.profile.name === "carol")).toBe(false);
    await tracker.close();
  });
});

describe("PresenceTracker: a channel layer that fails", () => {
  it("logs one warning per outage, not one per channel and update", async () => {
    const inner = createMemoryLayer();
    const down = () => Promise.reject(new Error("layer down"));
    const layer: ChannelLayer = {
      kind: "failing",
      publish: down,
      subscribe: (group, listener) => inner.subscribe(group, listener),
      close: () => inner.close(),
      presence: { write: down, remove: down, read: () => Promise.resolve(new Map()) },
    };
    const warnings: string[] = [];
    const tracker = new PresenceTracker({ layer, settings: readSettings({}), presence: { channels: () => true }, logger: { warn: (line: string) => void warnings.push(line), error: () => undefined } });
    for (const channel of ["room-1", "room-2", "room-3"]) await tracker.enter(socket("alice", channel), channel);
    // Closing announces the departure from all three channels: six failed updates.
    await tracker.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("layer down");
  });
});
