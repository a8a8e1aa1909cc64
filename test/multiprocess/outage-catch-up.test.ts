/**
 * Finding 5 of issue #13: a tab that STAYS connected while its gateway loses the channel layer is
 * caught up once the layer is back — from its position, in place, without reconnecting — with
 * what other processes published meanwhile. Real Redis, real PGlite store, real sockets; "another
 * process" is a second Redis layer with its own connections sharing the store.
 *
 * - a partition between this gateway and Redis (a TCP proxy cut): the other process keeps
 *   publishing successfully, this gateway's subscriber misses it all;
 * - a Redis restart: every publish fails with PublishError, but the rows were stored first.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import * as api from "../../src/notifications/server";
import { PublishError } from "../../src/notifications/server";
import { createRedisLayer, type RedisLayer } from "../../src/notifications/server/layer/redis";
import { readSettings } from "../../src/notifications/server/settings";
import { notifyWith } from "../../src/notifications/server/send";
import type { ServerFrame } from "../../src/notifications/shared/protocol";
import { describeWithRedis, RedisTestServer } from "../helpers/redis-server";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy";
import { startReplayServer, type ReplayServer } from "../replay/harness";
import { openPgliteDatabase, type TestDatabase } from "../store/databases";

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const isText = (text: string) => (frame: ServerFrame) => frame.type === "message" && frame.text === text;

describeWithRedis("catch-up after a channel-layer outage", () => {
  let redis: RedisTestServer;
  let database: TestDatabase;
  let proxy: TcpProxy;
  let layer: RedisLayer; // this gateway's, through the proxy
  let other: RedisLayer; // another process's, straight to Redis
  let server: ReplayServer;
  const warnings: string[] = [];

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    database = await openPgliteDatabase();
  });
  afterAll(async () => {
    await database?.close();
    await redis?.dispose();
  });
  beforeEach(async () => {
    await database.reset();
    proxy = await startTcpProxy({ host: "127.0.0.1", port: redis.port });
    layer = createRedisLayer({ url: `redis://127.0.0.1:${proxy.port}`, logger: quiet, healthCheckMs: 200 });
    other = createRedisLayer({ url: redis.url, logger: quiet });
    await Promise.all([layer.ready(), other.ready()]);
    warnings.length = 0;
    server = await startReplayServer({ database, layer, logger: { warn: (message: string) => void warnings.push(message), error: () => undefined } });
  });
  afterEach(async () => {
    await server?.close();
    await Promise.all([layer?.close(), other?.close()]);
    await proxy?.close();
  });

  /** A send made by the other process: stored in the shared database, published through its own Redis connections. */
  function sendFromOtherProcess(target: Parameters<typeof notifyWith>[1], text: string) {
    return notifyWith({ settings: readSettings({}), layer: other, store: server.store }, target, { message: text });
  }

  it("a partition: what another process published meanwhile reaches the tab that stayed open, once, in order", async () => {
    const alice = await server.connect({ userId: "alice" });
    await sendFromOtherProcess("all", "before");
    await alice.next(isText("before"));

    proxy.cut();
    await expect.poll(() => layer.isConnected(), { timeout: 5_000 }).toBe(false);
    await expect.poll(() => warnings.some((message) => message.includes("channel layer down"))).toBe(true);
    // Published successfully by the other process, never delivered to this gateway's subscriber.
    await sendFromOtherProcess("all", "during 1");
    await sendFromOtherProcess({ user: "alice" }, "during 2 (inbox)");
    await sendFromOtherProcess({ user: "bob" }, "not for alice");

    proxy.restore();
    await alice.next(isText("during 2 (inbox)"), 10_000);
    await sendFromOtherProcess("all", "after");
    await alice.next(isText("after"));
    expect(alice.texts()).toEqual(["before", "during 1", "during 2 (inbox)", "after"]);
    expect(alice.ws.readyState).toBe(alice.ws.OPEN);
  });

  it("a Redis restart: sends fail with PublishError but were stored; the open tab is caught up", async () => {
    const alice = await server.connect({ userId: "alice" });
    await api.sendToAll("before");
    await alice.next(isText("before"));

    await redis.stop();
    const failed = await sendFromOtherProcess("all", "during the outage").catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(PublishError);
    expect((failed as PublishError).storedId).toEqual(expect.any(Number));

    await redis.restart();
    await alice.next(isText("during the outage"), 15_000);
    await api.sendToAll("after");
    await alice.next(isText("after"));
    expect(alice.texts()).toEqual(["before", "during the outage", "after"]);
  });
});
