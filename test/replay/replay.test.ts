/**
 * Replay and recovery end to end: real `ws` clients with real Auth.js cookies against a real
 * gateway whose runtime stores every send in a real PGlite database (migrated from drizzle/).
 *
 * No sleeping: replayed frames precede `hello`, so once a client is connected everything it was
 * going to be replayed has arrived; acks are awaited through the gateway's `onAck` (called after
 * the store recorded them); absence among live frames is proven with a marker sent afterwards;
 * time moves through the store's clock.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as api from "../../packages/next-channels-broadcast/src/server";
import { currentWatermark } from "../../packages/next-channels-broadcast/src/server/send";
import { createMemoryLayer } from "../../packages/next-channels-broadcast/src/server/layer/memory";
import type { ChannelLayer } from "../../packages/next-channels-broadcast/src/server/layer/types";
import type { NotificationStore } from "../../packages/next-channels-broadcast/src/server/store";
import { PublishError, StoreError } from "../../packages/next-channels-broadcast/src/shared/errors";
import type { ServerFrame } from "../../packages/next-channels-broadcast/src/shared/protocol";
import type { TestClient } from "../helpers/gateway-server";
import { openPgliteDatabase, type TestDatabase } from "../store/databases";
import { helloIndex, messages, startReplayServer, type ReplayServer, type ReplayServerOptions } from "./harness";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

let database: TestDatabase;
let server: ReplayServer | undefined;
let now = 0;
const clock = () => new Date(now);

beforeAll(async () => {
  database = await openPgliteDatabase();
});
afterAll(async () => {
  await database?.close();
});
beforeEach(async () => {
  await database.reset();
  now = Date.now();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: Partial<ReplayServerOptions> = {}): Promise<ReplayServer> {
  server = await startReplayServer({ database, clock, ...options });
  return server;
}

function ack(client: TestClient, id: number): void {
  client.send(JSON.stringify({ type: "ack_message", id }));
}

const isText = (text: string) => (frame: ServerFrame) => frame.type === "message" && frame.text === text;

/** Sends `marker` to `userId` and waits until every client has it: what was not before it, never came. */
async function settle(userId: string, clients: TestClient[], marker: string): Promise<void> {
  await api.sendToUser(userId, marker);
  await Promise.all(clients.map((client) => client.next(isText(marker))));
}

describe("durable inbox", () => {
  it("alice offline → stored → she connects and gets it (with id) → acks → reconnects → not again", async () => {
    const s = await start();
    await expect(api.notify({ user: "alice" }, { message: "Your import finished!", level: "success" })).resolves.toMatchObject({ sent: true, id: expect.any(Number) });

    const alice = await s.connect({ userId: "alice" });
    const [replayed] = messages(alice);
    expect(replayed).toEqual({ id: expect.any(Number), text: "Your import finished!" });
    // Replayed before hello, in the wire format, id right after type.
    expect(alice.frames.findIndex(isText("Your import finished!"))).toBeLessThan(helloIndex(alice));
    expect(alice.raw[0]).toBe(
      `{"type":"message","id":${replayed!.id},"ack":true,"text":"Your import finished!","cssClass":"success","clickURL":null,"closeURL":null,"hideCloseOption":false,"channel":"user:alice"}`,
    );

    ack(alice, replayed!.id!);
    await s.nextAck((event) => event.id === replayed!.id && event.user?.id === "alice");
    await alice.close();

    const again = await s.connect({ userId: "alice" });
    expect(messages(again)).toEqual([]);
  });

  it("live frames carry the id too, and a row sent while connected is replayed until acked", async () => {
    const s = await start();
    const alice = await s.connect({ userId: "alice" });
    await api.sendToUser("alice", "live");
    const live = await alice.next(isText("live"));
    expect(live).toMatchObject({ type: "message", id: expect.any(Number) });
    await alice.close();

    const later = await s.connect({ userId: "alice" });
    expect(messages(later)).toEqual([{ id: (live as { id: number }).id, text: "live" }]);
  });

  it("two tabs: one acks, the other's next connect is not replayed it", async () => {
    const s = await start();
    const tab1 = await s.connect({ userId: "alice" });
    const tab2 = await s.connect({ userId: "alice" });
    await api.sendToUser("alice", "seen in one tab");
    const frame = (await tab1.next(isText("seen in one tab"))) as { id: number };
    await tab2.next(isText("seen in one tab"));

    ack(tab1, frame.id);
    await s.nextAck((event) => event.id === frame.id);
    await tab2.close();
    const tab2Again = await s.connect({ userId: "alice" });
    expect(messages(tab2Again)).toEqual([]);
  });

  it("bob cannot ack alice's row", async () => {
    const s = await start();
    await api.sendToUser("alice", "for alice only");
    const [row] = await s.store.pendingInbox("user:alice");

    const bob = await s.connect({ userId: "bob" });
    expect(messages(bob)).toEqual([]);
    ack(bob, row!.id);
    bob.send(JSON.stringify({ type: "ack", ids: [row!.id] }));
    // Frames of one socket are handled in order: once this is answered, both acks were handled.
    bob.send(JSON.stringify({ type: "subscribe", ref: "sync", channels: [] }));
    await bob.next((frame) => frame.type === "subscribed" && frame.ref === "sync");

    const alice = await s.connect({ userId: "alice" });
    expect(messages(alice)).toEqual([{ id: row!.id, text: "for alice only" }]);
  });

  it("user redirects are inbox rows too", async () => {
    const s = await start();
    await api.redirectUser("alice", "/reports/42");
    const alice = await s.connect({ userId: "alice" });
    expect(alice.frames[0]).toEqual({ type: "redirect", id: expect.any(Number), ack: true, url: "/reports/42", channel: "user:alice" });
  });

  it("replay goes to the connecting socket only: an already-open tab gets no duplicate", async () => {
    const s = await start();
    await api.sendToUser("alice", "pending");
    await api.sendToAll("broadcast");
    const watermarkBefore = 0;

    const tab1 = await s.connect({ userId: "alice" });
    expect(messages(tab1).map((m) => m.text)).toEqual(["pending"]);
    const bob = await s.connect({ userId: "bob" });
    // tab2 replays the inbox and recovers the broadcast; neither may reach tab1 or bob again.
    const tab2 = await s.connect({ userId: "alice", lastId: watermarkBefore });
    expect(messages(tab2).map((m) => m.text)).toEqual(["pending", "broadcast"]);

    await settle("alice", [tab1, tab2], "marker");
    await api.sendToUser("bob", "marker");
    await bob.next(isText("marker"));
    expect(messages(tab1).map((m) => m.text)).toEqual(["pending", "marker"]);
    expect(messages(bob).map((m) => m.text)).toEqual(["marker"]);
  });
});

describe("recovery after reconnect (lastId)", () => {
  it("a broadcast sent during a short disconnect is recovered; what was seen is not resent", async () => {
    const s = await start();
    const alice = await s.connect({ userId: "alice" });
    await api.sendToAll("before");
    const seen = (await alice.next(isText("before"))) as { id: number };
    await alice.close();

    await api.sendToAll("while away");
    await api.sendToAuthenticated("also while away");
    const back = await s.connect({ userId: "alice", lastId: seen.id });
    expect(messages(back).map((m) => m.text)).toEqual(["while away", "also while away"]);
    expect(back.frames.findIndex(isText("also while away"))).toBeLessThan(helloIndex(back));
  });

  it("one older than the recovery window is not recovered", async () => {
    const s = await start({ storeSettings: { recoveryWindowMs: 2 * MINUTE } });
    const alice = await s.connect({ userId: "alice" });
    await api.sendToAll("seen");
    const seen = (await alice.next(isText("seen"))) as { id: number };
    await alice.close();

    await api.sendToAll("too old");
    now += 2 * MINUTE + 1_000;
    await api.sendToAll("recent");
    now += 30_000;
    const back = await s.connect({ userId: "alice", lastId: seen.id });
    expect(messages(back).map((m) => m.text)).toEqual(["recent"]);
  });

  it("recovers at most the count setting: the newest", async () => {
    const s = await start({ storeSettings: { recoveryMaxMessages: 2 } });
    for (const text of ["m1", "m2", "m3"]) await api.sendToAll(text);
    const back = await s.connect({ userId: "alice", lastId: 0 });
    expect(messages(back).map((m) => m.text)).toEqual(["m2", "m3"]);
  });

  it("a page's watermark recovers what was sent between rendering and subscribing", async () => {
    const s = await start();
    await api.sendToAll("before render");
    const watermark = await currentWatermark(); // the server component hands this to the client
    expect(watermark).toBeGreaterThan(0);
    await api.sendToAll("between render and subscribe");
    const page = await s.connect({ userId: "alice", lastId: watermark! });
    expect(messages(page).map((m) => m.text)).toEqual(["between render and subscribe"]);
  });

  it("only the socket's own groups are recovered", async () => {
    const s = await start({ authorizer: (_user, channel) => channel === "job-1" });
    await api.sendToChannel("job-1", "job news");
    await api.sendToChannel("job-2", "other job");
    await api.sendToUser("bob", "bob's");
    await api.sendToAnonymous("anon only"); // gate off: not stored, not sent
    const plain = await s.connect({ userId: "alice", lastId: 0 });
    expect(messages(plain)).toEqual([]);
    const subscribed = await s.connect({ userId: "alice", lastId: 0, extraChannels: ["job-1", "job-2"] });
    expect(messages(subscribed).map((m) => m.text)).toEqual(["job news"]);
  });

  it("no lastId or a malformed one: no recovery, and the socket works", async () => {
    const s = await start();
    await api.sendToAll("earlier");
    for (const lastId of [undefined, "", "-1", "1.5", "abc", "99999999999999999999"]) {
      const client = await s.connect({ userId: "alice", lastId });
      expect({ lastId, got: messages(client) }).toEqual({ lastId, got: [] });
    }
    const client = await s.connect({ userId: "alice", lastId: "x" });
    await settle("alice", [client], "still works");
  });
});

describe("progress", () => {
  it("a late subscriber gets the current value at once: at connect and on subscribe", async () => {
    const s = await start({ authorizer: () => true });
    await api.progressChannel("job-1", 10);
    await api.progressChannel("job-1", 60);
    await api.progressUser("alice", "25%");

    const atConnect = await s.connect({ userId: "alice", extraChannels: ["job-1"] });
    const progress = atConnect.frames.filter((frame) => frame.type === "progress");
    expect(progress).toHaveLength(2);
    expect(progress).toEqual(
      expect.arrayContaining([
        { type: "progress", progress: true, percent: "60%", channel: "job-1", v: expect.any(Number) },
        { type: "progress", progress: true, percent: "25%", channel: "user:alice", v: expect.any(Number) },
      ]),
    );
    expect(atConnect.frames.findIndex((frame) => frame.type === "progress" && frame.channel === "job-1")).toBeLessThan(helloIndex(atConnect));

    await api.progressChannel("job-2", 80);
    const later = await s.connect({ userId: "bob" });
    expect(later.frames.filter((frame) => frame.type === "progress")).toEqual([]);
    later.send(JSON.stringify({ type: "subscribe", ref: "r1", channels: ["job-2"] }));
    await later.next((frame) => frame.type === "subscribed" && frame.ref === "r1");
    expect(later.frames.filter((frame) => frame.type === "progress")).toEqual([{ type: "progress", progress: true, percent: "80%", channel: "job-2", v: expect.any(Number) }]);
  });
});

describe("retention", () => {
  it("expired inbox rows are deleted by the periodic cleanup and never replayed", async () => {
    const s = await start({ storeSettings: { inboxRetentionMs: 7 * DAY, centerRetentionMs: 7 * DAY } });
    await api.sendToUser("alice", "a week ago");
    now += 7 * DAY + 1;
    await api.sendToUser("alice", "today");

    const deleted = await new Promise<number>((resolve, reject) => {
      const stop = s.store.startCleanup({
        intervalMs: 10,
        onRun: (count) => {
          stop();
          resolve(count);
        },
        onError: reject,
      });
    });
    expect(deleted).toBe(1);
    const alice = await s.connect({ userId: "alice" });
    expect(messages(alice).map((m) => m.text)).toEqual(["today"]);
  });
});

describe("durability and failures", () => {
  it("a gateway restarted on the same PGlite directory keeps the inbox", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ncb-restart-"));
    const first = await openPgliteDatabase(dir);
    let reopened: TestDatabase | undefined;
    try {
      const s1 = await startReplayServer({ database: first, clock });
      await api.sendToUser("alice", "survives a restart");
      const [row] = await s1.store.pendingInbox("user:alice");
      await s1.close();
      await first.close().catch(() => undefined);

      reopened = await openPgliteDatabase(dir);
      server = await startReplayServer({ database: reopened, clock });
      const alice = await server.connect({ userId: "alice" });
      expect(messages(alice)).toEqual([{ id: row!.id, text: "survives a restart" }]);
      // Ids keep growing after the restart.
      await api.sendToUser("alice", "after restart");
      const next = (await alice.next(isText("after restart"))) as { id: number };
      expect(next.id).toBeGreaterThan(row!.id);
      await server.close();
      server = undefined;
    } finally {
      await reopened?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a failing layer: the send throws PublishError, the row stays and is replayed on the next connect", async () => {
    const inner = createMemoryLayer();
    let layerDown = false;
    const layer: ChannelLayer = {
      kind: "flaky",
      publish: (group, frame) => (layerDown ? Promise.reject(new Error("connection refused")) : inner.publish(group, frame)),
      subscribe: (group, listener) => inner.subscribe(group, listener),
      close: () => inner.close(),
    };
    const s = await start({ layer });
    const open = await s.connect({ userId: "alice" });

    layerDown = true;
    const error = await api.sendToUser("alice", "survives the outage").catch((caught: unknown) => caught);
    layerDown = false;
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).message).toMatch(/stored as notification \d+/);

    await settle("alice", [open], "marker"); // the open tab never got it live
    expect(messages(open).map((m) => m.text)).toEqual(["marker"]);
    const next = await s.connect({ userId: "alice" });
    expect(messages(next).map((m) => m.text)).toEqual(["survives the outage", "marker"]);
  });

  it("a failing store: the send throws StoreError and publishes nothing; live sockets keep working", async () => {
    let storeDown = false;
    const wrapStore = (store: NotificationStore): NotificationStore => ({
      ...store,
      save: (...args) => (storeDown ? Promise.reject(new Error("database is down")) : store.save(...args)),
      saveProgress: (...args) => (storeDown ? Promise.reject(new Error("database is down")) : store.saveProgress(...args)),
      pendingInbox: (...args) => (storeDown ? Promise.reject(new Error("database is down")) : store.pendingInbox(...args)),
      ackInbox: (...args) => (storeDown ? Promise.reject(new Error("database is down")) : store.ackInbox(...args)),
    });
    const logged: string[] = [];
    const logger = { warn: (text: string) => logged.push(text), error: (text: string) => logged.push(text) };
    const s = await start({ wrapStore, logger });
    const alice = await s.connect({ userId: "alice" });
    await api.sendToUser("alice", "before the outage");
    const stored = (await alice.next(isText("before the outage"))) as { id: number };

    storeDown = true;
    await expect(api.sendToAll("lost")).rejects.toBeInstanceOf(StoreError);
    await expect(api.progressAll(50)).rejects.toMatchObject({ code: "STORE_FAILED" });
    // A socket connecting while the store is down still gets its hello, and acks do not break it.
    const during = await s.connect({ userId: "alice" });
    ack(alice, stored.id);
    await expect.poll(() => logged).toContain("[notifications] could not record 1 acknowledgement(s)");
    storeDown = false;

    await settle("alice", [alice, during], "marker");
    expect(messages(alice).map((m) => m.text)).toEqual(["before the outage", "marker"]);
    expect(alice.frames.some((frame) => frame.type === "progress")).toBe(false);
    expect(logged).toContain("[notifications] could not replay stored notifications");
    // The ack that could not be recorded costs one more replay, nothing else.
    const after = await s.connect({ userId: "alice" });
    expect(messages(after).map((m) => m.text)).toEqual(["before the outage", "marker"]);
  });
});
