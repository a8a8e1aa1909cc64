/**
 * `next-channels-broadcast/redis`: the Redis channel layer and the outbox consumer, for wiring them
 * by hand (`startNotificationsServer` and `connectFromEnv` create them from `REDIS_URL` for you).
 * Needs `ioredis`.
 *
 * @example
 * import { createRedisLayer } from "next-channels-broadcast/redis";
 * const layer = createRedisLayer({ url: process.env.REDIS_URL! });
 */
export { createRedisLayer, DEFAULT_REDIS_PREFIX, parseRedisUrl, type RedisLayer, type RedisLayerOptions } from "./layer/redis.js";
export { startOutboxConsumer, type OutboxConsumer, type OutboxConsumerOptions } from "./layer/outbox-consumer.js";
