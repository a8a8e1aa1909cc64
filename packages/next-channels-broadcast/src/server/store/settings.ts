/**
 * Settings of the notification store: how long rows are kept and how much is replayed.
 * Parsed strictly like the kit's other settings: a bad value throws `InvalidSettingError`
 * naming the variable, so start-up stops instead of running with a surprise.
 */
import { InvalidSettingError } from "../../shared/errors.js";
import { parseIntegerSetting } from "../settings.js";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface StoreSettings {
  /** How long a user's unacknowledged inbox row (and a group's last progress) is kept. `NOTIFICATIONS_INBOX_RETENTION_MS`, default 7 days. */
  inboxRetentionMs: number;
  /** How far back a reconnecting socket is sent what it missed. 0 turns recovery off. `NOTIFICATIONS_RECOVERY_WINDOW_MS`, default 2 minutes. */
  recoveryWindowMs: number;
  /** At most this many missed rows are recovered per connect (the newest). `NOTIFICATIONS_RECOVERY_MAX_MESSAGES`, default 100. */
  recoveryMaxMessages: number;
  /** Pending inbox rows replayed per page (the oldest first; the next page follows the ack of the last). `NOTIFICATIONS_INBOX_REPLAY_MAX`, default 100. */
  inboxReplayMax: number;
  /** How often expired rows are deleted. `NOTIFICATIONS_CLEANUP_INTERVAL_MS`, default 5 minutes. */
  cleanupIntervalMs: number;
  /**
   * How long a new socket waits for its replay queries before it is sent `hello` without them
   * (logged; live frames keep flowing, and unacknowledged inbox rows come back on the next
   * connect). `NOTIFICATIONS_REPLAY_TIMEOUT_MS`, default 5 seconds.
   */
  replayTimeoutMs: number;
  /**
   * How long a user's message stays in their notification center (read or not), counted from when
   * it was sent; separate from the inbox's replay (`inboxRetentionMs`). `NOTIFICATIONS_CENTER_RETENTION_MS`,
   * default 30 days.
   */
  centerRetentionMs: number;
}

export const DEFAULT_STORE_SETTINGS: StoreSettings = {
  inboxRetentionMs: 7 * DAY,
  recoveryWindowMs: 2 * MINUTE,
  recoveryMaxMessages: 100,
  inboxReplayMax: 100,
  cleanupIntervalMs: 5 * MINUTE,
  replayTimeoutMs: 5 * SECOND,
  centerRetentionMs: 30 * DAY,
};

export const STORE_SETTING_ENV_NAMES: { readonly [K in keyof StoreSettings]: string } = {
  inboxRetentionMs: "NOTIFICATIONS_INBOX_RETENTION_MS",
  recoveryWindowMs: "NOTIFICATIONS_RECOVERY_WINDOW_MS",
  recoveryMaxMessages: "NOTIFICATIONS_RECOVERY_MAX_MESSAGES",
  inboxReplayMax: "NOTIFICATIONS_INBOX_REPLAY_MAX",
  cleanupIntervalMs: "NOTIFICATIONS_CLEANUP_INTERVAL_MS",
  replayTimeoutMs: "NOTIFICATIONS_REPLAY_TIMEOUT_MS",
  centerRetentionMs: "NOTIFICATIONS_CENTER_RETENTION_MS",
};

const BOUNDS: { readonly [K in keyof StoreSettings]: readonly [min: number, max: number] } = {
  inboxRetentionMs: [SECOND, 366 * DAY],
  recoveryWindowMs: [0, DAY],
  recoveryMaxMessages: [0, 10_000],
  inboxReplayMax: [1, 10_000],
  cleanupIntervalMs: [SECOND, DAY],
  replayTimeoutMs: [1, MINUTE],
  centerRetentionMs: [SECOND, 3 * 366 * DAY],
};


/**
 * Reads the store settings from `env`, then applies `overrides` given in code (same bounds).
 *
 * @example
 * readStoreSettings(process.env, { recoveryWindowMs: 30_000 });
 */
export function readStoreSettings(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: Partial<StoreSettings> = {},
): StoreSettings {
  const settings: StoreSettings = { ...DEFAULT_STORE_SETTINGS };
  for (const key of Object.keys(BOUNDS) as (keyof StoreSettings)[]) {
    const name = STORE_SETTING_ENV_NAMES[key];
    const raw = env[name];
    if (raw !== undefined && raw.trim() !== "") settings[key] = parseIntegerSetting(name, raw, ...BOUNDS[key]);
  }
  for (const [key, value] of Object.entries(overrides) as [keyof StoreSettings, unknown][]) {
    if (value === undefined) continue;
    if (!(key in BOUNDS)) throw new InvalidSettingError(String(key), "is not a known store setting.");
    if (typeof value !== "number") throw new InvalidSettingError(key, `expected a number, got ${JSON.stringify(value)}.`);
    settings[key] = parseIntegerSetting(key, String(value), ...BOUNDS[key]);
  }
  return settings;
}
