/**
 * Picks the channel layer from the environment, so the same code runs as one process (memory)
 * or as several processes sharing Redis without a code change.
 */
import { InvalidSettingError } from "../../shared/errors.js";
import { loadOptional } from "../optional.js";
import { createMemoryLayer } from "./memory.js";
import { DEFAULT_REDIS_PREFIX, parseRedisUrl } from "./redis-url.js";
import type { RedisLayerOptions } from "./redis.js";
import type { ChannelLayer } from "./types.js";

/** Environment variables read by `createLayerFromEnv`. */
export const LAYER_ENV_NAMES = {
  /** Redis URL; set = Redis layer, unset or empty = in-memory layer. */
  url: "REDIS_URL",
  /** Redis channel prefix, default `ncb:`. */
  prefix: "NOTIFICATIONS_REDIS_PREFIX",
} as const;

/**
 * The channel layer the environment asks for: the Redis layer when `REDIS_URL` is set (and
 * not empty), the in-memory layer otherwise. An invalid `REDIS_URL` or
 * `NOTIFICATIONS_REDIS_PREFIX` throws `InvalidSettingError` naming it, so a typo stops
 * start-up instead of silently falling back to a layer that only reaches this process. The Redis
 * client (ioredis) is loaded only then: without it, `MissingDependencyError` names the package.
 *
 * @example
 * const layer = await createLayerFromEnv(process.env);    // REDIS_URL=redis://cache:6379 → redis
 * const gateway = createGateway({ layer, authenticate: authjsAuthenticate() });
 */
export async function createLayerFromEnv(
  env: Record<string, string | undefined> = process.env,
  options: Omit<RedisLayerOptions, "url" | "prefix"> = {},
): Promise<ChannelLayer> {
  const raw = env[LAYER_ENV_NAMES.url]?.trim();
  if (!raw) return createMemoryLayer();
  parseRedisUrl(raw, LAYER_ENV_NAMES.url);
  const rawPrefix = env[LAYER_ENV_NAMES.prefix];
  if (rawPrefix !== undefined && rawPrefix.trim() === "") {
    throw new InvalidSettingError(LAYER_ENV_NAMES.prefix, "must not be empty (unset it to use the default \"ncb:\").");
  }
  const { createRedisLayer } = await loadOptional("ioredis", "REDIS_URL (the Redis layer)", () => import("./redis.js"));
  return createRedisLayer({ ...options, url: raw, prefix: rawPrefix ?? DEFAULT_REDIS_PREFIX });
}
