/**
 * A send made while Redis is down is reported as failed — and, because the store took the
 * row first, it is not lost: it reaches the user once Redis is back, on her next connect.
 * Real Redis (stopped and restarted), real PGlite store, real sockets.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import * as api from "../../packages/next-channels-broadcast/src/server";
import { PublishError } from "../../packages/next-channels-broadcast/src/server";
import { createRedisLayer, type RedisLayer } from "../../packages/next-channels-broadcast/src/server/layer/redis";
import { describeWithRedis, RedisTestServer } from "../helpers/redis-server";
import { messages, startReplayServer, type ReplayServer } from "../replay/harness";
import { openPgliteDatabase, type TestDatabase } from "../store/databases";

describeWithRedis("a send while Redis is down", () => {
  let redis: RedisTestServer;
  let layer: RedisLayer;
  let database: TestDatabase;
  let server: ReplayServer;

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    layer = createRedisLayer({ url: redis.url, logger: { info: () => undefined, warn: () => undefined, error: () => undefined } });
    database = await openPgliteDatabase();
    server = await startReplayServer({ database, layer });
  });

  afterAll(async () => {
    await server?.close();
    await layer?.close();
    await database?.close();
    await redis?.dispose();
  });

  it("fails loudly, keeps the stored row, and replays it to alice after Redis is back", async () => {
    await redis.stop();
    const error = await api.sendToUser("alice", "Sent during the outage").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as Error).message).toMatch(/stored as notification \d+/);
    expect((error as PublishError).storedId).toEqual(expect.any(Number));

    await redis.restart();
    await expect.poll(() => layer.isConnected(), { timeout: 10_000 }).toBe(true);

    const alice = await server.connect({ userId: "alice" });
    expect(messages(alice).map((message) => message.text)).toEqual(["Sent during the outage"]);
    expect(messages(alice)[0]!.id).toBe((error as PublishError).storedId);

    // And live delivery works again through Redis.
    await api.sendToUser("alice", "After the outage");
    await alice.next((frame) => frame.type === "message" && frame.text === "After the outage");
  });
});
