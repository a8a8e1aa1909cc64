/**
 * Settings: read once from the environment (or given in code), parsed strictly. A value that
 * cannot be parsed stops start-up with an error naming the variable. Nothing here reads
 * `process.env` lazily at send time, so a typo cannot silently flip a gate.
 */
import { InvalidSettingError } from "../shared/errors.js";
import { MAX_CHANNEL_NAME_LENGTH } from "../shared/channels.js";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "./logger.js";

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
  /**
   * Bytes sent to one socket that the client has not yet shown it read, before it is cut off as a
   * slow consumer. Counts what sits in the kernel's send buffer too (a pong to a ping proves the
   * client read everything sent before that ping). `NOTIFICATIONS_MAX_BUFFERED_BYTES`, default 512 KiB.
   */
  maxBufferedBytes: number;
  /**
   * Proxies in front of the server whose forwarded headers are trusted (`X-Forwarded-For`,
   * `-Host`, `-Proto`): 0 = none, headers ignored (the default); 1 = one proxy (the client is the
   * last address it appended); n = n proxies. `NOTIFICATIONS_TRUSTED_PROXIES`.
   */
  trustedProxies: number;
  /** Open sockets one user may hold (all processes count separately). `NOTIFICATIONS_MAX_SOCKETS_PER_USER`, default 32. */
  maxSocketsPerUser: number;
  /** Open sockets one client address may hold. `NOTIFICATIONS_MAX_SOCKETS_PER_IP`, default 256. */
  maxSocketsPerIp: number;
  /** Open sockets this process holds at most. `NOTIFICATIONS_MAX_SOCKETS`, default 18000 (keep it under the open-file limit). */
  maxSockets: number;
  /** Handshakes (authentication, revocation check, joining) worked on at once; more wait their turn. `NOTIFICATIONS_MAX_CONCURRENT_HANDSHAKES`, default 64. */
  maxConcurrentHandshakes: number;
  /** Handshakes allowed to wait for their turn; past that an upgrade is refused with 503. `NOTIFICATIONS_MAX_QUEUED_HANDSHAKES`, default 4096. */
  maxQueuedHandshakes: number;
  /** How long the `authenticate` function may take; slower is refused with 503. `NOTIFICATIONS_AUTHENTICATE_TIMEOUT_MS`, default 5000. */
  authenticateTimeoutMs: number;
  /**
   * Client frames per second one user (or, for anonymous sockets, one address) may send across all
   * its sockets, bursts of 2×; over it frames are dropped with a `rate_limited` error.
   * `NOTIFICATIONS_CLIENT_FRAMES_PER_SECOND_PER_USER`, default 50.
   */
  clientFramesPerSecondPerUser: number;
  /** Subscribe requests (`ref`s) one socket may hold at once. `NOTIFICATIONS_MAX_SUBSCRIPTIONS_PER_SOCKET`, default 64. */
  maxSubscriptionsPerSocket: number;
  /** How often open sockets are checked against revoked sessions (0 = never; the handshake always checks). `NOTIFICATIONS_REVOCATION_CHECK_MS`, default 60000. */
  revocationCheckMs: number;
  /**
   * Path of the Prometheus metrics, served by the custom server (never through Next); `off`
   * (the default) serves none. Needs `NOTIFICATIONS_METRICS_TOKEN` or `NOTIFICATIONS_METRICS_ALLOW`.
   * `NOTIFICATIONS_METRICS_PATH`, e.g. `/metrics`.
   */
  metricsPath: string;
  /** Bearer token a scraper must send (`Authorization: Bearer …`), at least 16 characters. `NOTIFICATIONS_METRICS_TOKEN`. */
  metricsToken: string;
  /** Client addresses allowed to read the metrics without a token (comma-separated IPs). `NOTIFICATIONS_METRICS_ALLOW`. */
  metricsAllow: string[];
  /** Liveness path (200 while the process serves); `off` disables. `NOTIFICATIONS_LIVENESS_PATH`, default `/livez`. */
  livenessPath: string;
  /**
   * Readiness path: 200 while new sockets are welcome, 503 while the channel layer or the store is
   * down or the process is draining; `off` disables. `NOTIFICATIONS_READINESS_PATH`, default `/readyz`.
   */
  readinessPath: string;
  /**
   * On shutdown, how long closing every socket is spread over (in batches, with the restart close
   * code), so the next process is not hit by every client in the same second; 0 closes all at
   * once. `NOTIFICATIONS_DRAIN_WINDOW_MS`, default 2000.
   */
  drainWindowMs: number;
  /**
   * Decoded Auth.js sessions kept so a cookie is decrypted once per token lifetime, not at every
   * handshake (0 = no cache). `NOTIFICATIONS_SESSION_CACHE_SIZE`, default 10000.
   */
  sessionCacheSize: number;
  /** Least severe level the kit logs: debug, info, warn, error or silent. `NOTIFICATIONS_LOG_LEVEL`, default `info`. */
  logLevel: LogLevel;
  /** `text` (the console) or `json` (one object per line). `NOTIFICATIONS_LOG_FORMAT`, default `text`. */
  logFormat: LogFormat;
  /** This process's name in metrics (label `process`), so several processes add up. `NOTIFICATIONS_PROCESS_ID`; empty (the default) means `<hostname>:<pid>`. */
  processId: string;
  /**
   * Presence: the longest a crashed process's members stay listed. Each process refreshes its
   * entries every quarter of this and they expire after half of it; every process sweeps expired
   * entries every quarter, so members of a process that died (`kill -9`) are gone within it.
   * `NOTIFICATIONS_PRESENCE_TIMEOUT_MS`, default 30000.
   */
  presenceTimeoutMs: number;
  /** Presence: members listed per channel at most; past it only the count grows. `NOTIFICATIONS_PRESENCE_MAX_LISTED`, default 100. */
  presenceMaxListed: number;
  /** Presence: how long changes of a channel are gathered into one frame (longer for big channels). `NOTIFICATIONS_PRESENCE_FLUSH_MS`, default 100. */
  presenceFlushMs: number;
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
  maxBufferedBytes: 524_288,
  trustedProxies: 0,
  maxSocketsPerUser: 32,
  maxSocketsPerIp: 256,
  maxSockets: 18_000,
  maxConcurrentHandshakes: 64,
  maxQueuedHandshakes: 4_096,
  authenticateTimeoutMs: 5_000,
  clientFramesPerSecondPerUser: 50,
  maxSubscriptionsPerSocket: 64,
  revocationCheckMs: 60_000,
  metricsPath: "",
  metricsToken: "",
  metricsAllow: [],
  livenessPath: "/livez",
  readinessPath: "/readyz",
  drainWindowMs: 2_000,
  sessionCacheSize: 10_000,
  logLevel: "info",
  logFormat: "text",
  processId: "",
  presenceTimeoutMs: 30_000,
  presenceMaxListed: 100,
  presenceFlushMs: 100,
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
  trustedProxies: "NOTIFICATIONS_TRUSTED_PROXIES",
  maxSocketsPerUser: "NOTIFICATIONS_MAX_SOCKETS_PER_USER",
  maxSocketsPerIp: "NOTIFICATIONS_MAX_SOCKETS_PER_IP",
  maxSockets: "NOTIFICATIONS_MAX_SOCKETS",
  maxConcurrentHandshakes: "NOTIFICATIONS_MAX_CONCURRENT_HANDSHAKES",
  maxQueuedHandshakes: "NOTIFICATIONS_MAX_QUEUED_HANDSHAKES",
  authenticateTimeoutMs: "NOTIFICATIONS_AUTHENTICATE_TIMEOUT_MS",
  clientFramesPerSecondPerUser: "NOTIFICATIONS_CLIENT_FRAMES_PER_SECOND_PER_USER",
  maxSubscriptionsPerSocket: "NOTIFICATIONS_MAX_SUBSCRIPTIONS_PER_SOCKET",
  revocationCheckMs: "NOTIFICATIONS_REVOCATION_CHECK_MS",
  metricsPath: "NOTIFICATIONS_METRICS_PATH",
  metricsToken: "NOTIFICATIONS_METRICS_TOKEN",
  metricsAllow: "NOTIFICATIONS_METRICS_ALLOW",
  livenessPath: "NOTIFICATIONS_LIVENESS_PATH",
  readinessPath: "NOTIFICATIONS_READINESS_PATH",
  drainWindowMs: "NOTIFICATIONS_DRAIN_WINDOW_MS",
  sessionCacheSize: "NOTIFICATIONS_SESSION_CACHE_SIZE",
  logLevel: "NOTIFICATIONS_LOG_LEVEL",
  logFormat: "NOTIFICATIONS_LOG_FORMAT",
  processId: "NOTIFICATIONS_PROCESS_ID",
  presenceTimeoutMs: "NOTIFICATIONS_PRESENCE_TIMEOUT_MS",
  presenceMaxListed: "NOTIFICATIONS_PRESENCE_MAX_LISTED",
  presenceFlushMs: "NOTIFICATIONS_PRESENCE_FLUSH_MS",
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

/** A path, or `off` (any case) for none (the empty string). */
function parseOptionalPathSetting(name: string, raw: string): string {
  return raw.trim().toLowerCase() === "off" ? "" : parsePathSetting(name, raw);
}

function parseTokenSetting(name: string, raw: string): string {
  const token = raw.trim();
  if (token.length < 16 || /\s/.test(token)) throw new InvalidSettingError(name, "expected a token of at least 16 characters without spaces.");
  return token;
}

// No `node:net` here: this module is part of the `/server` entry, which edge bundles load too.
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6 = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$/;

function parseAddressList(name: string, raw: string): string[] {
  const addresses = raw.split(",").map((part) => part.trim()).filter(Boolean);
  for (const address of addresses) {
    if (!IPV4.test(address) && !IPV6.test(address)) throw new InvalidSettingError(name, `${JSON.stringify(address)} is not an IP address (a comma-separated list such as 127.0.0.1,10.0.0.5).`);
  }
  return addresses;
}

function parseChoice<T extends string>(name: string, raw: string, choices: readonly T[]): T {
  const word = raw.trim().toLowerCase();
  if (!(choices as readonly string[]).includes(word)) throw new InvalidSettingError(name, `expected one of ${choices.join(", ")}, got ${JSON.stringify(raw)}.`);
  return word as T;
}

function parseProcessId(name: string, raw: string): string {
  const id = raw.trim();
  if (!/^[A-Za-z0-9_.:@-]{1,128}$/.test(id)) throw new InvalidSettingError(name, `expected 1 to 128 letters, digits or _.:@-, got ${JSON.stringify(raw)}.`);
  return id;
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
  trustedProxies: (name, raw) => parseIntegerSetting(name, raw, 0, 16),
  maxSocketsPerUser: (name, raw) => parseIntegerSetting(name, raw, 1, 1_000_000),
  maxSocketsPerIp: (name, raw) => parseIntegerSetting(name, raw, 1, 1_000_000),
  maxSockets: (name, raw) => parseIntegerSetting(name, raw, 1, 10_000_000),
  maxConcurrentHandshakes: (name, raw) => parseIntegerSetting(name, raw, 1, 100_000),
  maxQueuedHandshakes: (name, raw) => parseIntegerSetting(name, raw, 0, 10_000_000),
  authenticateTimeoutMs: (name, raw) => parseIntegerSetting(name, raw, 10, 600_000),
  clientFramesPerSecondPerUser: (name, raw) => parseIntegerSetting(name, raw, 1, 100_000),
  maxSubscriptionsPerSocket: (name, raw) => parseIntegerSetting(name, raw, 1, 10_000),
  revocationCheckMs: (name, raw) => parseIntegerSetting(name, raw, 0, 86_400_000),
  metricsPath: parseOptionalPathSetting,
  metricsToken: parseTokenSetting,
  metricsAllow: parseAddressList,
  livenessPath: parseOptionalPathSetting,
  readinessPath: parseOptionalPathSetting,
  drainWindowMs: (name, raw) => parseIntegerSetting(name, raw, 0, 600_000),
  sessionCacheSize: (name, raw) => parseIntegerSetting(name, raw, 0, 10_000_000),
  logLevel: (name, raw) => parseChoice(name, raw, LOG_LEVELS),
  logFormat: (name, raw) => parseChoice(name, raw, LOG_FORMATS),
  processId: parseProcessId,
  presenceTimeoutMs: (name, raw) => parseIntegerSetting(name, raw, 1_000, 3_600_000),
  presenceMaxListed: (name, raw) => parseIntegerSetting(name, raw, 0, 10_000),
  presenceFlushMs: (name, raw) => parseIntegerSetting(name, raw, 10, 10_000),
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
  checkTogether(settings);
  return settings;
}

/** Rules between settings, checked once every setting parsed on its own. */
function checkTogether(settings: NotificationSettings): void {
  // Metrics name users' channels and counts: never served to whoever asks.
  if (settings.metricsPath !== "" && settings.metricsToken === "" && settings.metricsAllow.length === 0) {
    throw new InvalidSettingError(SETTING_ENV_NAMES.metricsPath, `serves metrics at ${settings.metricsPath}, so set ${SETTING_ENV_NAMES.metricsToken} (a bearer token) or ${SETTING_ENV_NAMES.metricsAllow} (the scrapers' addresses).`);
  }
  const paths = [settings.path, settings.metricsPath, settings.livenessPath, settings.readinessPath].filter((path) => path !== "");
  const repeated = paths.find((path, index) => paths.indexOf(path) !== index);
  if (repeated !== undefined) throw new InvalidSettingError(SETTING_ENV_NAMES.metricsPath, `the path ${repeated} is used for two things (websocket, metrics, liveness, readiness).`);
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
