/**
 * The one join path, proven finding by finding (issue #13): real `ws` clients with real Auth.js
 * cookies against a real gateway whose runtime stores every send in a real PGlite database.
 *
 * Each test is the regression test of one finding and failed before the join path existed:
 * 1. page channels joined by `subscribe` recover what they missed since the client's position;
 * 2. an expired subscription token is refused with the reason `expired` (so the page can refresh);
 * 3. a layer failure during `subscribe` leaves no phantom channel, answers `unavailable`, and a
 *    retry works;
 * 4. acks cost what they should: none for broadcasts, one statement per batch, nothing for ids
 *    the socket was never sent, and a client acking an 80-row backlog one frame per id stays open;
 * 6. stored rows go out before live frames, and an older replayed progress never follows a newer
 *    live one.
 */
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from "vitest";
import * as api from "../../packages/next-channels-broadcast/src/server";
import { issueSubscriptionToken } from "../../packages/next-channels-broadcast/src/server";
import { createMemoryLayer } from "../../packages/next-channels-broadcast/src/server/layer/memory";
import type { ChannelLayer } from "../../packages/next-channels-broadcast/src/server/layer/types";
import type { NotificationStore } from "../../packages/next-channels-broadcast/src/server/store";
import type { ServerFrame, SubscribedFrame } from "../../packages/next-channels-broadcast/src/shared/protocol";
import type { TestClient } from "../helpers/gateway-server";
import { TEST_SECRET } from "../helpers/sessions";
import { messages, startReplayServer, type ReplayServer, type ReplayServerOptions } from "../replay/harness";
import { openPgliteDatabase, type TestDatabase } from "../store/databases";

let database: TestDatabase;
let server: ReplayServer | undefined;

beforeAll(async () => {
  database = await openPgliteDatabase();
});
afterAll(async () => {
  await database?.close();
});
beforeEach(async () => {
  await database.reset();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const allowArticles = (_user: { id: string } | null, channel: string) => channel.startsWith("articles-");

async function start(options: Partial<ReplayServerOptions> = {}): Promise<ReplayServer> {
  server = await startReplayServer({ database, authorizer: allowArticles, tokenSecret: TEST_SECRET, ...options });
  return server;
}

const isText = (text: string) => (frame: ServerFrame) => frame.type === "message" && frame.text === text;

/** Sends a frame and resolves with the `subscribed` answer to its ref. */
async function exchange(client: TestClient, body: Record<string, unknown> & { ref: string }): Promise<SubscribedFrame> {
  const from = client.frames.length;
  client.send(JSON.stringify(body));
  return (await client.next((f) => f.type === "subscribed" && f.ref === body.ref && client.frames.indexOf(f) >= from)) as SubscribedFrame;
}

/** Counts the store calls a test cares about. */
function countingStore(counts: Record<string, number>) {
  return (store: NotificationStore): NotificationStore => {
    const wrapped = { ...store };
    for (const name of ["save", "saveProgress", "pendingInbox", "missedSince", "latestProgress", "ackInbox", "currentWatermark"] as const) {
      const original = store[name].bind(store) as (...args: unknown[]) => Promise<unknown>;
      (wrapped as Record<string, unknown>)[name] = (...args: unknown[]) => {
        counts[name] = (counts[name] ?? 0) + 1;
        return original(...args);
      };
    }
    return wrapped;
  };
}

describe("1. page channels recover what they missed", () => {
  it("a subscribe with the client's position gets the channel's rows sent since, before the answer and before live frames", async () => {
    const s = await start();
    const reader = await s.connect({ userId: "alice" });
    expect((await exchange(reader, { type: "subscribe", ref: "p1", channels: ["articles-1"] })).granted).toEqual(["articles-1"]);
    await api.sendToObject("articles-1", "comment 1");
    const seen = (await reader.next(isText("comment 1"))) as { id: number };
    await reader.close(); // the tab reconnects (restart, network drop, sleep)…

    await api.sendToObject("articles-1", "comment 2 (while away)");
    await api.sendToAll("a broadcast while away");
    await api.sendToObject("articles-2", "another article");

    // …with its position, then re-subscribes its page channel with the same position.
    const again = await s.connect({ userId: "alice", lastId: seen.id });
    const from = again.frames.length;
    const answer = await exchange(again, { type: "subscribe", ref: "p1", channels: ["articles-1"], lastId: seen.id });
    expect(answer.granted).toEqual(["articles-1"]);
    const afterSubscribe = again.frames.slice(from);
    expect(afterSubscribe.flatMap((f) => (f.type === "message" ? [f.text] : []))).toEqual(["comment 2 (while away)"]);
    // The replayed row precedes the answer.
    expect(afterSubscribe.findIndex(isText("comment 2 (while away)"))).toBeLessThan(afterSubscribe.indexOf(answer));
    // The handshake itself recovered the broadcast (its own group), not the other article's row.
    expect(again.texts()).toEqual(["a broadcast while away", "comment 2 (while away)"]);
  });

  it("without a position a subscribe recovers no messages (only the latest progress)", async () => {
    const s = await start();
    await api.sendToObject("articles-1", "old comment");
    await api.progressObject("articles-1", 40);
    const reader = await s.connect({ userId: "alice" });
    await exchange(reader, { type: "subscribe", ref: "p1", channels: ["articles-1"] });
    expect(reader.texts()).toEqual([]);
    expect(reader.frames.filter((f) => f.type === "progress").map((f) => (f as { percent: string }).percent)).toEqual(["40%"]);
  });
});

describe("2. subscription tokens say why they were refused", () => {
  it("an expired token is refused as expired, a forged or foreign one as invalid; a fresh one works", async () => {
    const s = await start();
    const alice = await s.connect({ userId: "alice" });
    const expired = issueSubscriptionToken({ user: "alice", channels: ["jobs-7"], secret: TEST_SECRET, ttl: 300, now: Date.now() - 301_000 });
    expect(await exchange(alice, { type: "subscribe", ref: "t1", token: expired })).toMatchObject({ granted: [], refused: [{ reason: "expired" }] });
    const bobs = issueSubscriptionToken({ user: "bob", channels: ["jobs-7"], secret: TEST_SECRET });
    expect(await exchange(alice, { type: "subscribe", ref: "t2", token: bobs })).toMatchObject({ granted: [], refused: [{ reason: "invalid" }] });
    const forged = `${bobs.split(".")[0]}.AAAA`;
    expect(await exchange(alice, { type: "subscribe", ref: "t3", token: forged })).toMatchObject({ granted: [], refused: [{ reason: "invalid" }] });
    // Another user's EXPIRED token says invalid too: its expiry is nobody else's business.
    const bobsExpired = issueSubscriptionToken({ user: "bob", channels: ["jobs-7"], secret: TEST_SECRET, now: Date.now() - 301_000 });
    expect(await exchange(alice, { type: "subscribe", ref: "t4", token: bobsExpired })).toMatchObject({ refused: [{ reason: "invalid" }] });

    const fresh = issueSubscriptionToken({ user: "alice", channels: ["jobs-7"], secret: TEST_SECRET });
    const answer = await exchange(alice, { type: "subscribe", ref: "t5", token: fresh });
    expect(answer.granted).toEqual(["jobs-7"]);
    expect(answer.refused).toBeUndefined();
  });

  it("names refused by the authorizer, the limit or page channels off say so, channel by channel", async () => {
    const s = await start({ settings: { maxChannelsPerSocket: 1 } });
    const alice = await s.connect({ userId: "alice" });
    const answer = await exchange(alice, { type: "subscribe", ref: "n", channels: ["articles-1", "articles-2", "secret-1", "all"] });
    expect(answer.granted).toEqual(["articles-1"]);
    // In the order asked; the limit is checked before the authorizer is asked.
    expect(answer.refused).toEqual([
      { reason: "limit", channel: "articles-2" },
      { reason: "limit", channel: "secret-1" },
      { reason: "denied", channel: "all" },
    ]);
    await server!.close();
    server = undefined;
    const off = await start({ settings: { enablePageChannels: false } });
    const bob = await off.connect({ userId: "bob" });
    expect((await exchange(bob, { type: "subscribe", ref: "x", channels: ["articles-1"] })).refused).toEqual([{ reason: "disabled", channel: "articles-1" }]);
  });
});

describe("3. a layer failure during subscribe", () => {
  it("rolls back: no phantom channel, the answer says unavailable, and a retry delivers", async () => {
    const inner = createMemoryLayer();
    let failSubscribe = false;
    const layer: ChannelLayer = {
      kind: "flaky",
      publish: (group, frame) => inner.publish(group, frame),
      subscribe: (group, listener) => (failSubscribe && group.startsWith("articles-") ? Promise.reject(new Error("layer down")) : inner.subscribe(group, listener)),
      close: () => inner.close(),
    };
    const errors: string[] = [];
    const s = await start({ layer, logger: { warn: () => undefined, error: (message: string) => void errors.push(message) } });
    const alice = await s.connect({ userId: "alice" });

    failSubscribe = true;
    const refused = await exchange(alice, { type: "subscribe", ref: "p", channels: ["articles-1"] });
    expect(refused).toMatchObject({ granted: [], channels: [], refused: [{ reason: "unavailable", channel: "articles-1" }] });
    expect(s.gateway.groupSize("articles-1")).toBe(0);
    expect(errors).toContain("[notifications] could not join a subscription's channels");

    failSubscribe = false;
    const retried = await exchange(alice, { type: "subscribe", ref: "p", channels: ["articles-1"] });
    expect(retried).toMatchObject({ granted: ["articles-1"], channels: ["articles-1"] });
    expect(retried.refused).toBeUndefined();
    await api.sendToObject("articles-1", "delivered after the retry");
    await alice.next(isText("delivered after the retry"));
  });
});

describe("4. acks cost what they should", () => {
  it("only inbox rows ask for an ack; a broadcast to many sockets causes no SQL beyond its one save", async () => {
    const counts: Record<string, number> = {};
    const s = await start({ wrapStore: countingStore(counts) });
    const tabs = await Promise.all(Array.from({ length: 20 }, (_, index) => s.connect({ userId: `user-${index}` })));
    for (const key of Object.keys(counts)) delete counts[key];

    await api.sendToAll("to everyone");
    const frames = await Promise.all(tabs.map((tab) => tab.next(isText("to everyone"))));
    expect(frames.every((frame) => frame.type === "message" && frame.id !== undefined && frame.ack === undefined)).toBe(true);
    // The original client acks every id: those acks are free and write nothing.
    for (const tab of tabs) tab.send(JSON.stringify({ type: "ack_message", id: (frames[0] as { id: number }).id }));
    await api.sendToUser("user-0", "marker"); // frames of one socket are handled in order
    await tabs[0]!.next(isText("marker"));
    await s.gateway.close(); // flushes pending acks
    expect(counts).toEqual({ save: 2 });
  });

  it("acks of a replayed backlog are written in a batch; unknown and foreign ids cost nothing", async () => {
    const counts: Record<string, number> = {};
    const s = await start({ wrapStore: countingStore(counts), settings: {} });
    for (let index = 0; index < 30; index++) await api.sendToUser("alice", `backlog ${index}`);
    const ids = (await s.store.pendingInbox("user:alice")).map((row) => row.id);
    const bobsId = (await api.notify({ user: "bob" }, { message: "bob's" })) as { id: number };
    const alice = await s.connect({ userId: "alice" });
    expect(messages(alice)).toHaveLength(30);
    expect(alice.frames.filter((f) => f.type === "message").every((f) => f.type === "message" && f.ack === true)).toBe(true);
    counts.ackInbox = 0;

    alice.send(JSON.stringify({ type: "ack", ids: [...ids.slice(0, 15), bobsId.id, 999_999] }));
    alice.send(JSON.stringify({ type: "ack", ids: ids.slice(15) }));
    await s.nextAck((ack) => ack.id === ids.at(-1));
    expect(counts.ackInbox).toBe(1); // both frames, one statement
    expect(await s.store.pendingInbox("user:alice")).toEqual([]);
    expect((await s.store.pendingInbox("user:bob")).map((row) => row.id)).toEqual([bobsId.id]);

    // Acks of ids this socket never got (guessing, replaying someone else's) reach no database.
    alice.send(JSON.stringify({ type: "ack", ids: [bobsId.id, 1, 2, 3] }));
    alice.send(JSON.stringify({ type: "ack_message", id: bobsId.id }));
    await api.sendToUser("alice", "marker");
    await alice.next(isText("marker"));
    await new Promise((resolve) => setTimeout(resolve, 120)); // two ack-flush periods: nothing was queued
    expect(counts.ackInbox).toBe(1);
  });

  it("a client that acks each of an 80-row backlog as it arrives (the original client) stays open and clears it", async () => {
    const s = await start();
    for (let index = 0; index < 80; index++) await api.sendToUser("alice", `backlog ${index}`);
    const alice = await s.connect({ userId: "alice" });
    for (const frame of alice.frames) if (frame.type === "message" && frame.id !== undefined) alice.send(JSON.stringify({ type: "ack_message", id: frame.id }));
    const last = messages(alice).at(-1)!;
    await s.nextAck((ack) => ack.id === last.id);
    await api.sendToUser("alice", "still open");
    await alice.next(isText("still open"));
    expect(alice.ws.readyState).toBe(alice.ws.OPEN);
    expect(await s.store.pendingInbox("user:alice")).toHaveLength(1); // only "still open"
  });

  it("an inbox backlog longer than one replay page comes page by page as the client acks, in order and once each", async () => {
    const s = await start({ storeSettings: { inboxReplayMax: 3 } });
    for (let index = 0; index < 8; index++) await api.sendToUser("alice", `backlog ${index}`);
    const alice = await s.connect({ userId: "alice" });
    const expected = Array.from({ length: 8 }, (_, index) => `backlog ${index}`);
    // Ack every stored frame as it arrives, as the browser client does (batched or not).
    let acked = 0;
    const ackArrived = () => {
      for (const frame of alice.frames.slice(acked)) if (frame.type === "message" && frame.id !== undefined) alice.send(JSON.stringify({ type: "ack", ids: [frame.id] }));
      acked = alice.frames.length;
    };
    ackArrived();
    for (let page = 1; alice.texts().length < expected.length && page < 5; page++) {
      await alice.next((frame) => frame.type === "message" && alice.frames.indexOf(frame) >= acked);
      ackArrived();
    }
    await alice.next(isText("backlog 7"));
    ackArrived();
    await s.nextAck((ack) => ack.id === (messages(alice).at(-1) as { id: number }).id);
    expect(alice.texts()).toEqual(expected);
    expect(await s.store.pendingInbox("user:alice")).toEqual([]);
    // Live sends keep flowing after the backlog, exactly once.
    await api.sendToUser("alice", "live after the backlog");
    await alice.next(isText("live after the backlog"));
    expect(alice.texts()).toEqual([...expected, "live after the backlog"]);
  });

  it("a client that does not ack gets one page per connect; the rest waits, nothing is dropped", async () => {
    const s = await start({ storeSettings: { inboxReplayMax: 3 } });
    for (let index = 0; index < 5; index++) await api.sendToUser("alice", `waiting ${index}`);
    const silent = await s.connect({ userId: "alice" });
    await api.sendToUser("bob", "marker for bob");
    await api.sendToUser("alice", "live marker");
    await silent.next(isText("live marker"));
    expect(silent.texts()).toEqual(["waiting 0", "waiting 1", "waiting 2", "live marker"]);
    expect(await s.store.pendingInbox("user:alice", { limit: 100 })).toHaveLength(6);
  });

  it("acking more than it was sent spends the frame budget: an ack flood is still cut with 1008", async () => {
    const s = await start({ settings: { clientFramesPerSecond: 5 } });
    await api.sendToUser("alice", "one");
    const alice = await s.connect({ userId: "alice" });
    for (let index = 0; index < 100; index++) alice.send(JSON.stringify({ type: "ack_message", id: index }));
    expect((await alice.closed).code).toBe(1008);
  });
});

describe("6. stored rows go out before live frames", () => {
  it("a live frame published during a slow replay arrives after it; the stored row is not sent twice", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let gated = false;
    const wrapStore = (store: NotificationStore): NotificationStore => ({
      ...store,
      pendingInbox: async (...args) => {
        if (gated) await gate;
        return store.pendingInbox(...args);
      },
    });
    const s = await start({ wrapStore });
    await api.sendToUser("alice", "older (stored)");
    gated = true;
    const connecting = s.connect({ userId: "alice" });
    await expect.poll(() => s.gateway.groupSize("user:alice")).toBe(1); // joined, replay pending
    await api.sendToUser("alice", "newer (live)");
    await api.sendToAll("a broadcast (live)");
    release();
    const alice = await connecting;
    await alice.next(isText("a broadcast (live)"));
    expect(alice.texts()).toEqual(["older (stored)", "newer (live)", "a broadcast (live)"]);
    // "newer" was stored before the replay read the inbox: replayed once, its live copy skipped.
    expect(alice.frames.filter(isText("newer (live)"))).toHaveLength(1);
    // Replay, then hello, then live frames.
    const hello = alice.frames.findIndex((frame) => frame.type === "hello");
    expect(alice.frames.findIndex(isText("a broadcast (live)"))).toBeGreaterThan(hello);
  });

  it("an older replayed progress never follows a newer live one: versions decide", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let gated = false;
    const wrapStore = (store: NotificationStore): NotificationStore => ({
      ...store,
      latestProgress: async (groups) => {
        const read = await store.latestProgress(groups); // read the old value now…
        if (gated) await gate; // …and answer late, after a newer value went out live
        return read;
      },
    });
    const s = await start({ wrapStore });
    await api.progressUser("alice", 10);
    gated = true;
    const connecting = s.connect({ userId: "alice" });
    await expect.poll(() => s.gateway.groupSize("user:alice")).toBe(1);
    await api.progressUser("alice", 90);
    release();
    const alice = await connecting;
    await api.sendToUser("alice", "marker");
    await alice.next(isText("marker"));
    const progress = alice.frames.flatMap((f) => (f.type === "progress" ? [{ percent: f.percent, v: f.v }] : []));
    // The replay (10%, v1) went first, then the live 90% (v2): the last value shown is the newest.
    expect(progress).toEqual([
      { percent: "10%", v: 1 },
      { percent: "90%", v: 2 },
    ]);
  });
});
