/**
 * The demo app's own settings (not the kit's): who is an admin, and the rate limits that keep one
 * account or one address from flooding everybody. Read from the environment and parsed strictly
 * with the kit's parsers: `server.ts` reads them before serving, so a bad value stops start-up
 * with an `InvalidSettingError` naming the variable.
 */
import { parseIntegerSetting } from "next-channels-broadcast/node";
import { InvalidSettingError } from "next-channels-broadcast/server";
import { isValidUsername, normalizeUsername } from "@/db/users";

/** The environment variables, by setting. */
export const DEMO_ENV_NAMES = {
  adminUsernames: "DEMO_ADMIN_USERNAMES",
  sendsPerMinute: "DEMO_SENDS_PER_MINUTE",
  signInFailuresPerHour: "DEMO_SIGNIN_FAILURES_PER_HOUR",
  signUpsPerHour: "DEMO_SIGNUPS_PER_HOUR",
} as const;

export interface DemoSettings {
  /**
   * Usernames (lowercased) that are admins whatever their stored role. Empty: the first account
   * created becomes the admin instead.
   */
  adminUsernames: ReadonlySet<string>;
  /** Sends per user per minute (the home page's form, comments, jobs, long tasks), in bursts of as many. */
  sendsPerMinute: number;
  /** Failed sign-ins per client address per hour, in bursts of as many. */
  signInFailuresPerHour: number;
  /** Sign-up attempts per client address per hour, in bursts of as many. */
  signUpsPerHour: number;
}

export const DEFAULT_DEMO_SETTINGS: Readonly<DemoSettings> = Object.freeze({
  adminUsernames: new Set<string>(),
  sendsPerMinute: 30,
  signInFailuresPerHour: 20,
  signUpsPerHour: 10,
});

/**
 * Parses `DEMO_ADMIN_USERNAMES`: comma-separated usernames, case-insensitive, spaces around names
 * ignored. An empty entry or a name no account could have throws `InvalidSettingError`.
 *
 * @example
 * parseAdminUsernames("DEMO_ADMIN_USERNAMES", "Alice, bob") // Set { "alice", "bob" }
 * parseAdminUsernames("DEMO_ADMIN_USERNAMES", "alice,,bob") // throws: empty entry
 */
export function parseAdminUsernames(name: string, raw: string): Set<string> {
  const names = new Set<string>();
  if (raw.trim() === "") return names;
  for (const [index, entry] of raw.split(",").entries()) {
    const username = normalizeUsername(entry);
    if (username === "") throw new InvalidSettingError(name, `entry ${index + 1} is empty; expected comma-separated usernames such as "alice,bob".`);
    if (!isValidUsername(username)) {
      throw new InvalidSettingError(name, `${JSON.stringify(entry.trim().slice(0, 40))} is not a username (3–32 characters of a-z, 0-9, "_", "." and "-").`);
    }
    names.add(username);
  }
  return names;
}

/**
 * Reads the demo's settings from `env`. Unset or empty variables take their defaults; anything
 * unparseable throws `InvalidSettingError` naming the variable.
 *
 * @example
 * const settings = readDemoSettings({ DEMO_ADMIN_USERNAMES: "alice", DEMO_SENDS_PER_MINUTE: "10" });
 * settings.adminUsernames.has("alice"); // true
 */
export function readDemoSettings(env: Readonly<Record<string, string | undefined>> = process.env): DemoSettings {
  const raw = (key: keyof DemoSettings): string | undefined => {
    const value = env[DEMO_ENV_NAMES[key]];
    return value === undefined || value.trim() === "" ? undefined : value;
  };
  const integer = (key: "sendsPerMinute" | "signInFailuresPerHour" | "signUpsPerHour", max: number): number => {
    const value = raw(key);
    return value === undefined ? DEFAULT_DEMO_SETTINGS[key] : parseIntegerSetting(DEMO_ENV_NAMES[key], value, 1, max);
  };
  const admins = raw("adminUsernames");
  return {
    adminUsernames: admins === undefined ? new Set() : parseAdminUsernames(DEMO_ENV_NAMES.adminUsernames, admins),
    sendsPerMinute: integer("sendsPerMinute", 100_000),
    signInFailuresPerHour: integer("signInFailuresPerHour", 1_000_000),
    signUpsPerHour: integer("signUpsPerHour", 1_000_000),
  };
}

let cached: DemoSettings | undefined;

/**
 * The settings of this process, read from `process.env` once. `server.ts` calls it at start-up,
 * so a bad value stops the server before the first request rather than failing one.
 *
 * @example
 * if (getDemoSettings().adminUsernames.has(user.username)) { … }
 */
export function getDemoSettings(): DemoSettings {
  return (cached ??= readDemoSettings(process.env));
}
