/**
 * Redis URLs and channel prefixes, checked without loading a Redis client: the environment can
 * be validated at start-up whether or not ioredis is installed.
 */
import { InvalidSettingError } from "../../shared/errors.js";

/** Prefix of every Redis channel the layer uses, so other users of the same Redis do not collide. */
export const DEFAULT_REDIS_PREFIX = "ncb:";

/**
 * Checks a Redis URL and returns where it points (`host:port`, for log lines). Throws
 * `InvalidSettingError` naming `setting`; the message never repeats the URL, which may hold
 * a password.
 *
 * @example
 * parseRedisUrl("redis://:s3cret@cache:6380/2", "REDIS_URL") // { where: "cache:6380" }
 * parseRedisUrl("http://cache", "REDIS_URL")                  // throws InvalidSettingError
 */
export function parseRedisUrl(raw: string, setting: string): { where: string } {
  const expected = "expected redis://[user:password@]host[:port][/db] or rediss://…";
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new InvalidSettingError(setting, `not a URL; ${expected}.`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new InvalidSettingError(setting, `unsupported scheme ${JSON.stringify(url.protocol)}; ${expected}.`);
  }
  if (url.hostname === "") throw new InvalidSettingError(setting, `no host; ${expected}.`);
  const db = url.pathname.replace(/^\/+/, "");
  if (db !== "" && !/^\d+$/.test(db)) throw new InvalidSettingError(setting, `the database must be a number, got ${JSON.stringify(db)}.`);
  return { where: `${url.hostname}:${url.port || "6379"}` };
}
