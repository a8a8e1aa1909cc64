/**
 * Settings: read once from the environment (or given in code), parsed strictly. A value that
 * cannot be parsed stops start-up with an error naming the variable. Nothing here reads
 * `process.env` lazily at send time, so a typo cannot silently flip a gate.
 */
import { InvalidSettingError } from "../shared/errors";
import { MAX_CHANNEL_NAME_LENGTH } from "../shared/channels";

export interface NotificationSettings {
  /** URL path of the websocket endpoint. `NOTIFICATIONS_WS_PATH`, default `/ws/notifications`. */
  path: string;
  /** Gate of `sendToAll` and the `all` group. `ENABLE_ALL`, default on. */
  enableAll: boolean;
  /** Gate of authenticated and per-user sends and groups. `ENABLE_AUTHENTICATED`, default on. */
  enableAuthenticated: boolean;
  /** Gate of anonymous sends; when off, anonymous handshakes are refused. `ENABLE_ANONYMOUS`, default off. */
  enableAnonymous: boolean;
  /** Gate of object and channel sends and of client-requested channels. `ENABLE_PAGE_CHANNELS`, default on. */
  enablePageChannels: boolean;
  /** Heartbeat ping interval; a socket silent for two intervals is dropped. `NOTIFICATIONS_HEARTBEAT_MS`, default 30000. */
  heartbeatMs: number;
  /** Largest client frame accepted, in bytes. `NOTIFICATIONS_MAX_FRAME_BYTES`, default 4096. */
  maxFrameBytes: number;
  /** Origins allowed to open a socket; empty = only the app's own origin. `NOTIFICATIONS_ALLOWED_ORIGINS` (comma-separated). */
  allowedOrigins: string[];
  /** Client-requested channels one socket may hold. `NOTIFICATIONS_MAX_CHANNELS_PER_SOCKET`, default 32. */
  maxChannelsPerSocket: number;
  /** Longest client-requested channel name. `NOTIFICATIONS_MAX_CHANNEL_NAME_LENGTH`, default 128. */
  maxChannelNameLength: number;
  /** Client frames allowed per second (burst = 2×); a flood closes the socket with 1008. `NOTIFICATIONS_CLIENT_FRAMES_PER_SECOND`, default 20. */
  clientFramesPerSecond: number;
  /** Bytes queued for one socket before it is cut off as a slow consumer. `NOTIFICATIONS_MAX_BUFFERED_BYTES`, default 1 MiB. */
  maxBufferedBytes: number;
}

export const DEFAULT_SETTINGS: NotificationSettings = {
  path: "/ws/notifications",
  enableAll: true,
  enableAuthenticated: true,
  enableAnonymous: false,
  enablePageChannels: true,
  heartbeatMs: 30_000,
  maxFrameBytes: 4_096,
  allowedOrigins: [],
  maxChannelsPerSocket: 32,
  maxChannelNameLength: MAX_CHANNEL_NAME_LENGTH,
  clientFramesPerSecond: 20,
  maxBufferedBytes: 1_048_576,
};

/** Environment variable behind each setting. */
export const SETTING_ENV_NAMES: { readonly [K in keyof NotificationSettings]: string } = {
  path: "NOTIFICATIONS_WS_PATH",
  enableAll: "ENABLE_ALL",
  enableAuthenticated: "ENABLE_AUTHENTICATED",
  enableAnonymous: "ENABLE_ANONYMOUS",
  enablePageChannels: "ENABLE_PAGE_CHANNELS",
  heartbeatMs: "NOTIFICATIONS_HEARTBEAT_MS",
  maxFrameBytes: "NOTIFICATIONS_MAX_FRAME_BYTES",
  allowedOrigins: "NOTIFICATIONS_ALLOWED_ORIGINS",
  maxChannelsPerSocket: "NOTIFICATIONS_MAX_CHANNELS_PER_SOCKET",
  maxChannelNameLength: "NOTIFICATIONS_MAX_CHANNEL_NAME_LENGTH",
  clientFramesPerSecond: "NOTIFICATIONS_CLIENT_FRAMES_PER_SECOND",
  maxBufferedBytes: "NOTIFICATIONS_MAX_BUFFERED_BYTES",
};

const TRUE_WORDS = new Set(["1", "true", "yes", "on"]);
const FALSE_WORDS = new Set(["0", "false", "no", "off"]);

/**
 * Parses a boolean setting: `true/false`, `1/0`, `yes/no`, `on/off` in any case. Anything
 * else throws `InvalidSettingError` naming the setting.
 *
 * @example
 * parseBooleanSetting("ENABLE_ALL", "False") // false
 * parseBooleanSetting("ENABLE_ALL", "nope")  // throws InvalidSettingError
 */
export function parseBooleanSetting(name: string, raw: string): boolean {
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new InvalidSettingError(name, `expected true/false, 1/0, yes/no or on/off, got ${JSON.stringify(raw)}.`);
}

/**
 * Parses a whole-number setting within `min`–`max`; anything else throws `InvalidSettingError`
 * naming the setting. Shared by every numeric setting of the kit.
 *
 * @example
 * parseIntegerSetting("NOTIFICATIONS_HEARTBEAT_MS", "30000", 100, 3_600_000) // 30000
 */
export function parseIntegerSetting(name: string, raw: string, min: number, max: number): number {
  const trimmed = raw.trim();
  const value = /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidSettingError(name, `expected a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}.`);
  }
  return value;
}

function parsePathSetting(name: string, raw: string): string {
  const path = raw.trim();
  if (!/^\/[A-Za-z0-9/_.-]*$/.test(path) || path.includes("//")) {
    throw new InvalidSettingError(name, `expected a URL path such as /ws/notifications, got ${JSON.stringify(raw)}.`);
  }
  return path;
}

function parseOriginList(name: string, raw: string): string[] {
  const origins = raw.split(",").map((part) => part.trim()).filter(Boolean);
  return origins.map((origin) => {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new InvalidSettingError(name, `${JSON.stringify(origin)} is not an origin such as https://app.example.com.`);
    }
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.origin !== origin.replace(/\/$/, "")) {
      throw new InvalidSettingError(name, `${JSON.stringify(origin)} is not an origin such as https://app.example.com.`);
    }
    return url.origin;
  });
}

type Parser<K extends keyof NotificationSettings> = (name: string, raw: string) => NotificationSettings[K];

const PARSERS: { [K in keyof NotificationSettings]: Parser<K> } = {
  path: parsePathSetting,
  enableAll: parseBooleanSetting,
  enableAuthenticated: parseBooleanSetting,
  enableAnonymous: parseBooleanSetting,
  enablePageChannels: parseBooleanSetting,
  heartbeatMs: (name, raw) => parseIntegerSetting(name, raw, 100, 3_600_000),
  maxFrameBytes: (name, raw) => parseIntegerSetting(name, raw, 256, 1_048_576),
  allowedOrigins: parseOriginList,
  maxChannelsPerSocket: (name, raw) => parseIntegerSetting(name, raw, 0, 10_000),
  maxChannelNameLength: (name, raw) => parseIntegerSetting(name, raw, 1, MAX_CHANNEL_NAME_LENGTH),
  clientFramesPerSecond: (name, raw) => parseIntegerSetting(name, raw, 1, 10_000),
  maxBufferedBytes: (name, raw) => parseIntegerSetting(name, raw, 1_024, 1_073_741_824),
};

/**
 * Reads every setting from `env`, applies `overrides` given in code on top, and validates.
 * Throws `InvalidSettingError` naming the first bad variable.
 *
 * @example
 * const settings = readSettings(process.env, { enableAnonymous: true });
 */
export function readSettings(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: Partial<NotificationSettings> = {},
): NotificationSettings {
  const settings: NotificationSettings = { ...DEFAULT_SETTINGS };
  for (const key of Object.keys(PARSERS) as (keyof NotificationSettings)[]) {
    const name = SETTING_ENV_NAMES[key];
    const raw = env[name];
    if (raw !== undefined && raw.trim() !== "") {
      (settings as unknown as Record<string, unknown>)[key] = (PARSERS[key] as Parser<typeof key>)(name, raw);
    }
  }
  for (const [key, value] of Object.entries(overrides) as [keyof NotificationSettings, unknown][]) {
    if (value === undefined) continue;
    if (!(key in PARSERS)) throw new InvalidSettingError(String(key), "is not a known setting.");
    const expected = typeof DEFAULT_SETTINGS[key];
    if (Array.isArray(DEFAULT_SETTINGS[key]) ? !Array.isArray(value) : typeof value !== expected) {
      throw new InvalidSettingError(key, `expected a ${Array.isArray(DEFAULT_SETTINGS[key]) ? "list" : expected}, got ${JSON.stringify(value)}.`);
    }
    // Re-run the same parser so code-given values obey the same bounds as env values.
    const raw = Array.isArray(value) ? value.join(",") : String(value);
    (settings as unknown as Record<string, unknown>)[key] = (PARSERS[key] as Parser<typeof key>)(key, raw);
  }
  return settings;
}

/** The gate setting that governs an audience. */
export type AudienceKind = "all" | "authenticated" | "anonymous" | "user" | "object" | "channel";

/** Whether sends and groups of `audience` are enabled, and which setting decides it. */
export function audienceGate(settings: NotificationSettings, audience: AudienceKind): { enabled: boolean; setting: string } {
  switch (audience) {
    case "all":
      return { enabled: settings.enableAll, setting: SETTING_ENV_NAMES.enableAll };
    case "authenticated":
    case "user":
      return { enabled: settings.enableAuthenticated, setting: SETTING_ENV_NAMES.enableAuthenticated };
    case "anonymous":
      return { enabled: settings.enableAnonymous, setting: SETTING_ENV_NAMES.enableAnonymous };
    case "object":
    case "channel":
      return { enabled: settings.enablePageChannels, setting: SETTING_ENV_NAMES.enablePageChannels };
  }
}
