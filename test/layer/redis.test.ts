/**
 * What only the Redis layer has to get right: several layer instances (processes) sharing one
 * Redis, channel prefixes, one Redis subscription per group, and outages — a restarted Redis,
 * a frozen one (a peer that stops answering without closing), one that was never reachable.
 * Outages are awaited by polling, never by fixed sleeps.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { createLayerFromEnv } from "../../packages/next-channels-broadcast/src/server/layer/from-env";
import { createRedisLayer, parseRedisUrl, type RedisLayer, type RedisLayerOptions } from "../../packages/next-channels-broadcast/src/server/layer/redis";
import { InvalidSettingError, PublishError } from "../../packages/next-channels-broadcast/src/shared/errors";
import { describeWithRedis, freePort, RedisTestServer } from "../helpers/redis-server";
import { eventually, recorder, untilDelivered } from "./helpers";

interface LogLine {
  level: "info" | "warn" | "error";
  text: string;
}

function recordingLogger() {
  const lines: LogLine[] = [];
  const push = (level: LogLine["level"]) => (...args: unknown[]) => void lines.push({ level, text: args.map(String).join(" ") });
  return { lines, logger: { info: push("info"), warn: push("warn"), error: push("error") } };
}

describeWithRedis("redis layer", () => {
  let server: RedisTestServer;
  let admin: Redis | undefined;
  const layers: RedisLayer[] = [];

  beforeAll(async () => {
    server = await RedisTestServer.start();
  });
  afterEach(async () => {
    await Promise.all(layers.splice(0).map((layer) => layer.close()));
    admin?.disconnect();
    admin = undefined;
    // A test that failed mid-outage must not leave the next one without Redis.
    server.freeze(false);
    if (!(await server.ping())) await server.restart();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  function open(options: Partial<RedisLayerOptions> = {}): RedisLayer {
    const layer = createRedisLayer({ url: server.url, prefix: `t-${randomUUID()}:`, ...options });
    layers.push(layer);
    return layer;
  }

  /** A plain client for inspecting the server (PUBSUB), opened after any restart in the test. */
  function inspector(): Redis {
    admin ??= new Redis(server.url);
    return admin;
  }

  async function subscribers(channel: string): Promise<number> {
    const reply = (await inspector().pubsub("NUMSUB", channel)) as [string, number];
    return Number(reply[1]);
  }

  it("carries a publish from one layer instance (process) to another", async () => {
    const prefix = `shared-${randomUUID()}:`;
    const sender = open({ prefix });
    const receiver = open({ prefix });
    const rec = recorder();
    await receiver.subscribe("user:alice", rec.listener);
    await sender.publish("user:alice", '{"type":"message","text":"hi"}');
    expect(await rec.next((frame) => frame.includes("hi"))).toBe('{"type":"message","text":"hi"}');
  });

  it("prefixes channels: same group, other prefix, no delivery", async () => {
    const mine = open({ prefix: "app-one:" });
    const theirs = open({ prefix: "app-two:" });
    const rec = recorder();
    await mine.subscribe("all", rec.listener);
    await theirs.publish("all", "other-app");
    await mine.publish("all", "marker");
    await rec.next((frame) => frame === "marker");
    expect(rec.frames).toEqual(["marker"]);
    expect(await subscribers("app-one:all")).toBe(1);
    expect(mine.prefix).toBe("app-one:");
  });

  it("holds one Redis subscription per group however many listeners, and drops it with the last", async () => {
    const layer = open({ prefix: "refcount:" });
    const stops = await Promise.all([1, 2, 3].map(() => layer.subscribe("g", () => undefined)));
    expect(await subscribers("refcount:g")).toBe(1);
    stops[0]!();
    stops[1]!();
    expect(await subscribers("refcount:g")).toBe(1);
    stops[2]!();
    await eventually("the last listener's UNSUBSCRIBE reached Redis", async () => (await subscribers("refcount:g")) === 0);
  });

  it("recovers from a Redis restart by itself; publishes fail fast while it is down; logs once each way", async () => {
    const { lines, logger } = recordingLogger();
    const sender = open({ logger, prefix: "restart:" });
    const receiver = open({ logger, prefix: "restart:" });
    const rec = recorder();
    await receiver.subscribe("all", rec.listener);
    await receiver.subscribe("user:bob", () => undefined);
    await sender.publish("all", "before");
    await rec.next((frame) => frame === "before");

    await server.stop();
    await eventually("both layers noticed", () => !sender.isConnected() && !receiver.isConnected());

    const started = Date.now();
    const failure = await sender.publish("all", "while-down").then(
      () => null,
      (error: unknown) => error,
    );
    const failedAfterMs = Date.now() - started;
    expect(failure).toBeInstanceOf(PublishError);
    expect((failure as PublishError).code).toBe("PUBLISH_FAILED");
    expect(failedAfterMs).toBeLessThan(200);
    await expect(receiver.subscribe("newcomer", () => undefined)).rejects.toThrow(/Could not subscribe to newcomer/);

    const outageStarted = Date.now();
    await server.restart();
    const restartedAfterMs = Date.now() - outageStarted;
    const recoveredMs = await untilDelivered(
      (probe) => sender.publish("all", probe),
      (probe, timeoutMs) => rec.next((frame) => frame === probe, timeoutMs),
    );
    console.info(`[figures] redis restart: server back after ${restartedAfterMs} ms, delivery resumed ${recoveredMs} ms later`);
    await eventually("both layers report connected", () => sender.isConnected() && receiver.isConnected());
    expect(rec.frames).not.toContain("while-down");
    // Subscriptions restored by the layer: both groups, not the one refused during the outage.
    expect(await subscribers("restart:all")).toBe(1);
    expect(await subscribers("restart:user:bob")).toBe(1);
    expect(await subscribers("restart:newcomer")).toBe(0);

    // One "lost" and one "restored" line per layer, however many reconnect attempts there were.
    expect(lines.filter((line) => line.level === "warn" && line.text.includes("lost connection"))).toHaveLength(2);
    const restored = lines.filter((line) => line.level === "info" && line.text.includes("restored after"));
    expect(restored).toHaveLength(2);
    expect(restored.some((line) => line.text.includes("2 subscriptions restored"))).toBe(true);
    expect(lines.filter((line) => line.level === "error")).toEqual([]);
  });

  it("restores thousands of subscriptions after a restart (batched SUBSCRIBE)", async () => {
    const layer = open({ prefix: "many:", logger: recordingLogger().logger });
    const groups = Array.from({ length: 2_500 }, (_, index) => `user:${index}`);
    const last = recorder();
    await Promise.all(groups.map((group, index) => layer.subscribe(group, index === groups.length - 1 ? last.listener : () => undefined)));
    await server.restart();
    const recoveredMs = await untilDelivered(
      (probe) => layer.publish(groups.at(-1)!, probe),
      (probe, timeoutMs) => last.next((frame) => frame === probe, timeoutMs),
    );
    await eventually("all subscriptions restored", () => layer.isConnected());
    expect(((await inspector().pubsub("CHANNELS", "many:*")) as string[]).length).toBe(2_500);
    console.info(`[figures] 2500 groups restored; delivery resumed ${recoveredMs} ms after the restart`);
  });

  it("does not restore a group whose last listener left during the outage", async () => {
    const layer = open({ prefix: "left:", logger: recordingLogger().logger });
    const rec = recorder();
    await layer.subscribe("stays", rec.listener);
    const stop = await layer.subscribe("leaves", () => undefined);
    await server.stop();
    await eventually("the layer noticed", () => !layer.isConnected());
    stop();
    await server.restart();
    await untilDelivered(
      (probe) => layer.publish("stays", probe),
      (probe, timeoutMs) => rec.next((frame) => frame === probe, timeoutMs),
    );
    expect(await subscribers("left:stays")).toBe(1);
    expect(await subscribers("left:leaves")).toBe(0);
  });

  it("fails a publish to a frozen Redis within the command timeout, reconnects, and resumes after it thaws", async () => {
    const { lines, logger } = recordingLogger();
    const layer = open({ logger, commandTimeoutMs: 300, healthCheckMs: 200, prefix: "frozen:" });
    const rec = recorder();
    await layer.subscribe("all", rec.listener);
    await layer.ready();

    server.freeze(true);
    const started = Date.now();
    await expect(layer.publish("all", "into-the-void")).rejects.toBeInstanceOf(PublishError);
    const failedAfterMs = Date.now() - started;
    expect(failedAfterMs).toBeGreaterThanOrEqual(250);
    expect(failedAfterMs).toBeLessThan(1_500);

    // The liveness PING gets no answer either: the layer drops the half-dead connections.
    await eventually("the health check noticed", () => !layer.isConnected(), 5_000);
    server.freeze(false);
    const recoveredMs = await untilDelivered(
      (probe) => layer.publish("all", probe),
      (probe, timeoutMs) => rec.next((frame) => frame === probe, timeoutMs),
    );
    console.info(`[figures] frozen redis: publish failed after ${failedAfterMs} ms; delivery resumed ${recoveredMs} ms after thaw`);
    expect(lines.filter((line) => line.text.includes("lost connection"))).toHaveLength(1);
    expect(lines.filter((line) => line.text.includes("restored after"))).toHaveLength(1);
  });

  it("rejects promptly with PublishError while Redis was never reachable, and connects once it appears", async () => {
    const { lines, logger } = recordingLogger();
    await server.stop();
    const layer = open({ logger, connectTimeoutMs: 2_000 });
    const started = Date.now();
    await expect(layer.publish("all", "nobody-home")).rejects.toBeInstanceOf(PublishError);
    await expect(layer.subscribe("all", () => undefined)).rejects.toThrow(/Could not subscribe/);
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(layer.ready(300)).rejects.toThrow(/not reachable/);
    expect(lines.filter((line) => line.text.includes("cannot reach"))).toHaveLength(1);

    // Redis starting after the app (orchestrators do not order them) is fine.
    await server.restart();
    await layer.ready(5_000);
    const rec = recorder();
    await layer.subscribe("all", rec.listener);
    await layer.publish("all", "late-but-fine");
    await rec.next((frame) => frame === "late-but-fine");
    expect(lines.filter((line) => line.text.includes("established after"))).toHaveLength(1);
    expect(lines.every((line) => !line.text.includes("redis://"))).toBe(true);
  });

  it("never puts the URL (and its password) in errors", async () => {
    const port = await freePort();
    const layer = open({ url: `redis://user:hunter2@127.0.0.1:${port}`, logger: recordingLogger().logger });
    const error = await layer.publish("all", "x").catch((caught: unknown) => caught as Error);
    expect(error).toBeInstanceOf(PublishError);
    expect(String((error as Error).message)).not.toContain("hunter2");
  });

  it("is what createLayerFromEnv returns when REDIS_URL is set", async () => {
    const layer = await createLayerFromEnv({ REDIS_URL: server.url, NOTIFICATIONS_REDIS_PREFIX: "env:" });
    layers.push(layer as RedisLayer);
    expect(layer.kind).toBe("redis");
    expect((layer as RedisLayer).prefix).toBe("env:");
    const rec = recorder();
    await layer.subscribe("all", rec.listener);
    await layer.publish("all", "via-env");
    await rec.next((frame) => frame === "via-env");
  });
});

it("createLayerFromEnv: memory without REDIS_URL (or with an empty one)", async () => {
  for (const env of [{}, { REDIS_URL: "" }, { REDIS_URL: "  " }]) {
    const layer = await createLayerFromEnv(env);
    expect(layer.kind).toBe("memory");
    await layer.close();
  }
});

it("createLayerFromEnv: an invalid REDIS_URL stops start-up with InvalidSettingError naming it", async () => {
  for (const bad of ["not a url", "http://cache:6379", "redis://", "redis://cache:6379/zero", "redis://:secret@cache:99999"]) {
    let caught: unknown;
    try {
      await createLayerFromEnv({ REDIS_URL: bad });
    } catch (error) {
      caught = error;
    }
    expect(caught, bad).toBeInstanceOf(InvalidSettingError);
    expect((caught as InvalidSettingError).setting).toBe("REDIS_URL");
    expect((caught as Error).message).toMatch(/^Invalid setting REDIS_URL:/);
    expect((caught as Error).message).not.toContain("secret");
  }
  await expect(createLayerFromEnv({ REDIS_URL: "redis://127.0.0.1:1", NOTIFICATIONS_REDIS_PREFIX: " " })).rejects.toThrow(/NOTIFICATIONS_REDIS_PREFIX/);
  expect(parseRedisUrl("rediss://:pw@cache.example:6380/2", "REDIS_URL")).toEqual({ where: "cache.example:6380" });
});
