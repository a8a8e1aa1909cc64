/**
 * The durable hand-off: publishers XADD over Upstash's HTTP API (the local emulator in front of
 * a throwaway Redis), gateways consume the stream through one consumer group over TCP. Real
 * gateways with the Redis layer, real websocket clients counting frames.
 */
import { sql } from "drizzle-orm";
import { Redis as IORedis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { createRedisLayer } from "../../packages/next-channels-broadcast/src/server/layer/redis";
import { outboxIdempotencyKey, startOutboxConsumer, type OutboxConsumer, type OutboxConsumerOptions } from "../../packages/next-channels-broadcast/src/server/layer/outbox-consumer";
import { OUTBOX_FIELD } from "../../packages/next-channels-broadcast/src/server/layer/outbox";
import { createUpstashPublisher, type UpstashPublisher } from "../../packages/next-channels-broadcast/src/server/layer/upstash-publisher";
import { notifyWith } from "../../packages/next-channels-broadcast/src/server/send";
import { InvalidNotificationError, PublishError } from "../../packages/next-channels-broadcast/src/shared/errors";
import type { ServerFrame } from "../../packages/next-channels-broadcast/src/shared/protocol";
import { startTestGateway, TestClient, type TestGateway } from "../helpers/gateway-server";
import { describeWithRedis, RedisTestServer } from "../helpers/redis-server";
import { UpstashTestServer } from "../helpers/upstash-server";
import { messages, startReplayServer } from "../replay/harness";
import { openBrowserSocket } from "../helpers/browser-socket";
import type { ChannelLayer } from "../../packages/next-channels-broadcast/src/server/layer/types";
import { openPgliteDatabase } from "../store/databases";

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describeWithRedis("upstash durable hand-off", () => {
  let redis: RedisTestServer;
  let upstash: UpstashTestServer;
  let admin: IORedis;
  let testIndex = 0;
  let stream: string;
  let prefix: string;
  let publisher: UpstashPublisher;
  const cleanup: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    upstash = await UpstashTestServer.start(redis.url);
    admin = new IORedis(redis.url);
  });

  afterAll(async () => {
    admin?.disconnect();
    await upstash?.stop();
    await redis?.dispose();
  });

  beforeEach(() => {
    testIndex += 1;
    stream = `test:outbox:${testIndex}`;
    prefix = `t${testIndex}:`;
    publisher = createUpstashPublisher({ redis: upstash.client(), stream });
  });

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function gateway(): Promise<TestGateway> {
    const server = await startTestGateway({ enableAnonymous: true }, { layer: createRedisLayer({ url: redis.url, prefix, logger: quiet }), authorizer: () => true });
    cleanup.push(() => server.close());
    return server;
  }

  async function client(server: TestGateway, options: Parameters<typeof TestClient.connect>[1] = {}): Promise<TestClient> {
    const connected = await TestClient.connect(server.url, options);
    cleanup.push(() => connected.close());
    return connected;
  }

  function consumer(server: { runtime: TestGateway["runtime"] }, options: Partial<OutboxConsumerOptions> = {}): OutboxConsumer {
    const started = startOutboxConsumer({ redisUrl: redis.url, runtime: server.runtime, stream, blockMs: 200, logger: quiet, ...options });
    cleanup.push(() => started.close());
    return started;
  }

  /** Sends a marker through `server` to everyone and waits until `clients` have it. */
  async function settle(server: TestGateway, clients: TestClient[]): Promise<void> {
    const marker = `marker-${Math.random()}`;
    await notifyWith(server.runtime, "all", { message: marker });
    await Promise.all(clients.map((c) => c.next((frame) => frame.type === "message" && frame.text === marker)));
  }

  const count = (c: TestClient, predicate: (frame: ServerFrame) => boolean) => c.frames.filter(predicate).length;

  it("XADD works through the Upstash emulator (responseEncoding: false)", async () => {
    const queued = await publisher.notify("all", { message: "probe" });
    expect(queued).toMatchObject({ queued: true, group: "all", entryId: expect.stringMatching(/^\d+-\d+$/) });
    const entries = await admin.xrange(stream, "-", "+");
    expect(entries).toHaveLength(1);
    expect(entries[0]![1][0]).toBe(OUTBOX_FIELD);
    expect(JSON.parse(entries[0]![1][1]!)).toMatchObject({ v: 1, target: "all", payload: { message: "probe" } });
  });

  it("a send queued while no gateway runs is delivered once when a gateway starts", async () => {
    await publisher.notify({ user: "alice" }, { message: "while-down", level: "success" });
    await publisher.notify("all", { message: "to-all-while-down" });
    await publisher.notify({ channel: "job-1" }, { progress: 40 });
    await publisher.notify({ object: "articles-7" }, { redirect: "/articles/7/done" });
    expect(await admin.xlen(stream)).toBe(4);

    const server = await gateway();
    const alice = await client(server, { userId: "alice", query: `extraChannels=${encodeURIComponent('["job-1","articles-7"]')}` });
    const queuedFor = performance.now() - (Date.now() - Number((await admin.xrange(stream, "-", "+"))[0]![0].split("-")[0]));
    const lags: number[] = [];
    const outbox = consumer(server, { onLag: (seconds) => lags.push(seconds) });
    await outbox.ready();
    await alice.next((frame) => frame.type === "redirect");
    await until("the consumer handled all four", () => outbox.handled() === 4);
    await settle(server, [alice]);

    expect(count(alice, (f) => f.type === "message" && f.text === "while-down" && f.cssClass === "success")).toBe(1);
    expect(count(alice, (f) => f.type === "message" && f.text === "to-all-while-down")).toBe(1);
    expect(count(alice, (f) => f.type === "progress" && f.percent === "40%" && f.channel === "job-1")).toBe(1);
    expect(count(alice, (f) => f.type === "redirect" && f.url === "/articles/7/done")).toBe(1);
    // Each entry's wait in the stream is reported once (the metrics' outbox lag), and it is no
    // longer than the time since they were queued.
    expect(lags).toHaveLength(4);
    expect(Math.max(...lags) * 1_000).toBeLessThanOrEqual(performance.now() - queuedFor + 1_000);
    // Handled entries are acknowledged and deleted.
    expect(await admin.xlen(stream)).toBe(0);
    expect(await admin.xpending(stream, "ncb-gateways")).toEqual([0, null, null, null]);
  });

  it("with two gateways running, each send is delivered once, not twice", async () => {
    const a = await gateway();
    const b = await gateway();
    const onA = await client(a, { userId: "alice" });
    const onB = await client(b, { userId: "bob" });
    const anonOnB = await client(b);
    const consumerA = consumer(a, { consumer: "gateway-a" });
    const consumerB = consumer(b, { consumer: "gateway-b" });
    await Promise.all([consumerA.ready(), consumerB.ready()]);

    const sends = 30;
    for (let i = 0; i < sends; i++) await publisher.notify("all", { message: `twice?-${i}` });
    await publisher.notify({ user: "alice" }, { message: "alice-only" });
    await until("both consumers handled everything", () => consumerA.handled() + consumerB.handled() === sends + 1);
    await settle(a, [onA, onB, anonOnB]);

    for (const c of [onA, onB, anonOnB]) {
      const texts = c.texts().filter((text) => text.startsWith("twice?-"));
      expect(texts).toHaveLength(sends);
      expect(new Set(texts).size).toBe(sends);
    }
    expect(count(onA, (f) => f.type === "message" && f.text === "alice-only")).toBe(1);
    expect(onB.texts()).not.toContain("alice-only");
    expect(consumerA.handled() + consumerB.handled()).toBe(sends + 1);
    expect(await admin.xlen(stream)).toBe(0);
  });

  it("entries a dead consumer left pending are claimed and delivered once", async () => {
    await admin.call("XGROUP", "CREATE", stream, "ncb-gateways", "0", "MKSTREAM");
    await publisher.notify("all", { message: "orphan-1" });
    await publisher.notify("all", { message: "orphan-2" });
    // A consumer reads them and dies before acknowledging.
    const read = (await admin.call("XREADGROUP", "GROUP", "ncb-gateways", "dead-gateway", "COUNT", "10", "STREAMS", stream, ">")) as unknown[];
    expect(read).toHaveLength(1);
    expect(((await admin.xpending(stream, "ncb-gateways")) as unknown[])[0]).toBe(2);

    const server = await gateway();
    const watcher = await client(server);
    const live = consumer(server, { consumer: "live", claimIdleMs: 300, claimIntervalMs: 100 });
    await live.ready();
    await until("the orphans were claimed", () => live.handled() === 2);
    await settle(server, [watcher]);
    expect(watcher.texts().filter((text) => text.startsWith("orphan-"))).toEqual(["orphan-1", "orphan-2"]);
    expect(((await admin.xpending(stream, "ncb-gateways")) as unknown[])[0]).toBe(0);
  });

  it("with a store, a user send queued while nothing runs is stored and replayed to a later connection", async () => {
    await publisher.notify({ user: "carol" }, { message: "inbox-while-down" });
    const database = await openPgliteDatabase();
    cleanup.push(() => database.close());
    const server = await startReplayServer({ database, layer: createRedisLayer({ url: redis.url, prefix, logger: quiet }) });
    cleanup.push(() => server.close());
    const outbox = consumer(server);
    await until("the entry was stored", () => outbox.handled() === 1);
    // Nobody was connected; carol connects afterwards and gets it from her inbox, once.
    const carol = await server.connect({ userId: "carol" });
    const replayed = await carol.next((frame) => frame.type === "message" && frame.text === "inbox-while-down");
    expect(replayed.type === "message" && typeof replayed.id).toBe("number");
    await settle(server, [carol]);
    expect(count(carol, (f) => f.type === "message" && f.text === "inbox-while-down")).toBe(1);
  });

  it("events and refreshes go through the outbox too, queued while no gateway runs", async () => {
    await publisher.notify({ user: "dora" }, { event: "import.done", data: { rows: 3 }, durable: true });
    await publisher.notify({ object: "articles-7" }, { refresh: true, origin: "tab-1" });
    const entries = await admin.xrange(stream, "-", "+");
    expect(entries.map((entry) => JSON.parse(entry[1][1]!).payload)).toEqual([
      { event: "import.done", data: { rows: 3 }, durable: true },
      { refresh: true, origin: "tab-1" },
    ]);

    const server = await gateway();
    const dora = await client(server, { userId: "dora", query: `extraChannels=${encodeURIComponent('["articles-7"]')}` });
    const outbox = consumer(server);
    await until("both handled", () => outbox.handled() === 2);
    await settle(server, [dora]);
    expect(dora.frames.filter((f) => f.type === "event")).toEqual([expect.objectContaining({ type: "event", event: "import.done", data: { rows: 3 } })]);
    expect(dora.frames.filter((f) => f.type === "refresh")).toEqual([expect.objectContaining({ type: "refresh", channel: "articles-7", origin: "tab-1" })]);
  });

  it("a gateway that dies after storing and publishing, before XACK: the claimed entry is still one row and one id", async () => {
    const database = await openPgliteDatabase();
    cleanup.push(() => database.close());
    const a = await startReplayServer({ database, layer: createRedisLayer({ url: redis.url, prefix, logger: quiet }) });
    cleanup.push(() => a.close());
    const b = await startReplayServer({ database, layer: createRedisLayer({ url: redis.url, prefix, logger: quiet }) });
    cleanup.push(() => b.close());
    const wire = await b.connect({ userId: "dora" });
    const browser = await openBrowserSocket(b.url, "dora");
    cleanup.push(async () => browser.dispose());

    // Gateway A's consumer sends through a layer that publishes for real and then never returns:
    // the row is stored, the frame is out, and the XACK that would follow never happens. To Redis
    // that is a dead consumer: its entry stays pending until another claims it.
    let published!: () => void;
    const publishedOnce = new Promise<void>((resolve) => (published = resolve));
    let revive!: () => void;
    const frozen = new Promise<void>((resolve) => (revive = resolve));
    const freezingLayer: ChannelLayer = {
      kind: "freezing",
      async publish(group, frame) {
        await a.runtime.layer.publish(group, frame);
        published();
        await frozen;
      },
      subscribe: (group, listener) => a.runtime.layer.subscribe(group, listener),
      close: async () => undefined,
    };
    const dying = consumer({ runtime: { ...a.runtime, layer: freezingLayer } }, { consumer: "gateway-a" });
    cleanup.push(async () => {
      revive(); // let the frozen send return so the consumer can stop (its late XACK is a no-op)
      await dying.close();
    });
    await dying.ready();
    const queued = await publisher.notify({ user: "dora" }, { message: "exactly-once", level: "success" });
    await publishedOnce;
    const first = await wire.next((frame) => frame.type === "message" && frame.text === "exactly-once");
    expect(first.type === "message" && typeof first.id).toBe("number");
    expect(((await admin.xpending(stream, "ncb-gateways")) as unknown[])[0]).toBe(1);
    expect(dying.handled()).toBe(0);

    // Gateway B claims the stale entry and sends it again.
    const claimer = consumer(b, { consumer: "gateway-b", claimIdleMs: 300, claimIntervalMs: 100 });
    await until("gateway B handled the claimed entry", () => claimer.handled() === 1);
    await settle(b, [wire]);
    await browser.until((frame) => frame.type === "message" && frame.text.startsWith("marker-"), "the marker");

    const id = first.type === "message" ? first.id : undefined;
    // Two frames on the wire (A's and B's), one id; one stored row under the entry's key; the page shows it once.
    expect(messages(wire).filter((m) => m.text === "exactly-once")).toEqual([
      { id, text: "exactly-once" },
      { id, text: "exactly-once" },
    ]);
    expect(browser.messages().filter((m) => m.text === "exactly-once")).toEqual([{ id, text: "exactly-once" }]);
    const stored = await database.db.execute(sql`select id, idempotency_key from ncb_notifications where frame like '%exactly-once%'`);
    expect((stored as unknown as { rows: unknown[] }).rows).toEqual([{ id, idempotency_key: outboxIdempotencyKey(stream, queued.entryId) }]);
    // The page acknowledged that one row: nothing of dora's is left to replay.
    await b.nextAck((ack) => ack.id === id);
    expect(await b.store.pendingInbox("user:dora")).toEqual([]);
    expect(((await admin.xpending(stream, "ncb-gateways")) as unknown[])[0]).toBe(0);
    expect(await admin.xlen(stream)).toBe(0);
  });

  it("bad input throws typed errors at the caller and queues nothing", async () => {
    await expect(publisher.notify({ channel: "bad name!" }, { message: "x" })).rejects.toBeInstanceOf(InvalidNotificationError);
    await expect(publisher.notify("all", { progress: 150 })).rejects.toThrow(/Invalid percent/);
    await expect(publisher.notify("all", { redirect: "javascript:alert(1)" })).rejects.toThrow(/not allowed/);
    await expect(publisher.notify("all", { message: "   " })).rejects.toThrow(/must not be empty/);
    await expect(publisher.notify({ user: "" }, { message: "x" })).rejects.toBeInstanceOf(InvalidNotificationError);
    await expect(publisher.notify("all", { message: "x", colour: "red" } as never)).rejects.toThrow(/Unknown message option/);
    await expect(publisher.notify("all", { event: "import.done", data: undefined })).rejects.toThrow(/is required/);
    await expect(publisher.notify("all", { event: "import.done", data: 1, durable: "yes" } as never)).rejects.toThrow(/durable must be a boolean/);
    await expect(publisher.notify("all", { refresh: false } as never)).rejects.toThrow(/refresh must be true/);
    await expect(publisher.notify("all", { refresh: true, origin: "not a tab id" })).rejects.toBeInstanceOf(InvalidNotificationError);
    await expect(publisher.notify("all", { toast: "x" } as never)).rejects.toThrow(/\{event, data\} or \{refresh: true\}/);
    expect(await admin.exists(stream)).toBe(0);
  });

  it("an unreachable Upstash endpoint is a PublishError", async () => {
    const { Redis } = await import("@upstash/redis");
    const offline = createUpstashPublisher({ redis: new Redis({ url: "http://127.0.0.1:9", token: "x", responseEncoding: false, retry: false }), stream });
    await expect(offline.notify("all", { message: "lost?" })).rejects.toBeInstanceOf(PublishError);
    // The emulator checks the token on "/" only, not on "/pipeline", where the client's
    // auto-pipelining sends commands: turn it off to see a refused token.
    const wrongToken = createUpstashPublisher({
      redis: new Redis({ url: upstash.url, token: "wrong", responseEncoding: false, retry: false, enableAutoPipelining: false }),
      stream,
    });
    await expect(wrongToken.notify("all", { message: "lost?" })).rejects.toBeInstanceOf(PublishError);
  });

  it("malformed entries are dropped, disabled audiences are no-ops; neither blocks the stream", async () => {
    await admin.xadd(stream, "*", OUTBOX_FIELD, "{not json");
    await admin.xadd(stream, "*", "other-field", "x");
    await admin.xadd(stream, "*", OUTBOX_FIELD, JSON.stringify({ v: 1, target: { channel: "all" }, payload: { message: "reserved" } }));
    await publisher.notify("anonymous", { message: "gated" });
    await publisher.notify("all", { message: "after-the-bad-ones" });
    const server = await startTestGateway({ enableAnonymous: false }, { layer: createRedisLayer({ url: redis.url, prefix, logger: quiet }) });
    cleanup.push(() => server.close());
    const alice = await client(server, { userId: "alice" });
    const warnings: string[] = [];
    const infos: string[] = [];
    const outbox = consumer(server, { logger: { info: (m: string) => infos.push(m), warn: (m: string) => warnings.push(m), error: () => undefined } });
    await alice.next((frame) => frame.type === "message" && frame.text === "after-the-bad-ones");
    await until("all five handled", () => outbox.handled() === 5);
    expect(warnings.join("\n")).toMatch(/dropping invalid entry .*not JSON/);
    expect(warnings.join("\n")).toMatch(/no notification field/);
    expect(warnings.join("\n")).toMatch(/reserved/);
    expect(infos.join("\n")).toMatch(/No-op for anonymous: ENABLE_ANONYMOUS is off/);
    expect(await admin.xlen(stream)).toBe(0);
  });

  it("keeps consuming after Redis restarts (the group is re-created)", async () => {
    const server = await gateway();
    const watcher = await client(server);
    const outbox = consumer(server);
    await outbox.ready();
    await publisher.notify("all", { message: "before-restart" });
    await watcher.next((frame) => frame.type === "message" && frame.text === "before-restart");
    await redis.restart();
    // The layer and the consumer reconnect by themselves; the new Redis has neither stream nor group.
    await until("the layer is back", async () => {
      try {
        await notifyWith(server.runtime, "all", { message: "probe" });
        return true;
      } catch {
        return false;
      }
    }, 15_000);
    await until("the entry is delivered", async () => {
      if (watcher.texts().includes("after-restart")) return true;
      if ((await admin.exists(stream).catch(() => 1)) === 0) await publisher.notify("all", { message: "after-restart" }).catch(() => undefined);
      return false;
    }, 15_000);
    await settle(server, [watcher]);
    expect(watcher.texts().filter((text) => text === "after-restart")).toHaveLength(1);
  });
});
