/**
 * The kit's one logger. Every part of the server side (gateway, layers, store cleanup, outbox,
 * publish endpoint, start-up checks) reports through `getLogger()` unless given a logger of its
 * own, so one setting decides the level and the format for all of it:
 *
 * - `NOTIFICATIONS_LOG_LEVEL`: `debug`, `info` (default), `warn`, `error` or `silent`;
 * - `NOTIFICATIONS_LOG_FORMAT`: `text` (default: the console, as before) or `json` (one JSON object
 *   per line on stdout/stderr: `time`, `level`, `process`, `msg`, and `error` / `details`).
 *
 * An app with its own logger (pino, winston…) passes it as `startNotificationsServer({ logger })`;
 * anything with `debug`, `info`, `warn` and `error` methods taking a message fits.
 *
 * Runs anywhere (no `node:` imports): the `/server` entry that Next bundles uses it too.
 */

/** The levels, least severe first; `silent` logs nothing. */
export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** What the kit logs through. `details` are extra values: errors, objects. */
export interface NotificationsLogger {
  debug(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

export interface CreateLoggerOptions {
  /** Default `info`. */
  level?: LogLevel;
  /** Default `text`. */
  format?: LogFormat;
  /** The `process` field of JSON lines (`NOTIFICATIONS_PROCESS_ID`). */
  processId?: string;
  /** Where a JSON line goes (default: stdout for debug/info, stderr for warn/error). Tests capture it here. */
  writeLine?: (line: string, level: Exclude<LogLevel, "silent">) => void;
  /** The console text lines go to (default: `console`). */
  console?: Pick<Console, "debug" | "info" | "warn" | "error">;
}

/** An error as JSON can carry it (its stack and cause included). */
function serialise(value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message, stack: value.stack };
    if ((value as { code?: unknown }).code !== undefined) out.code = (value as { code?: unknown }).code;
    if (value.cause !== undefined) out.cause = serialise(value.cause);
    return out;
  }
  return value;
}

function writeDefault(line: string, level: Exclude<LogLevel, "silent">): void {
  const stream = level === "warn" || level === "error" ? process.stderr : process.stdout;
  stream.write(`${line}\n`);
}

/**
 * Creates a logger that drops what is below `level` and writes text (the console) or JSON lines.
 *
 * @example
 * const logger = createLogger({ level: "warn", format: "json", processId: "web-1" });
 * logger.error("[notifications] upgrade failed", new Error("boom"));
 * // {"time":"2026-12-02T05:30:00.000Z","level":"error","process":"web-1","msg":"[notifications] upgrade failed","error":{"name":"Error","message":"boom",…}}
 */
export function createLogger(options: CreateLoggerOptions = {}): NotificationsLogger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? "info");
  const format = options.format ?? "text";
  const sink = options.console ?? console;
  const writeLine = options.writeLine ?? writeDefault;
  const emit = (level: Exclude<LogLevel, "silent">) => (message: string, ...details: unknown[]) => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    if (format === "text") {
      sink[level](message, ...details);
      return;
    }
    const line: Record<string, unknown> = { time: new Date().toISOString(), level, msg: message };
    if (options.processId) line.process = options.processId;
    const errors = details.filter((detail) => detail instanceof Error);
    const others = details.filter((detail) => !(detail instanceof Error));
    if (errors.length > 0) line.error = serialise(errors[0]);
    if (others.length > 0) line.details = others.length === 1 ? others[0] : others;
    let text: string;
    try {
      text = JSON.stringify(line);
    } catch {
      text = JSON.stringify({ time: line.time, level, msg: message, details: "(not serialisable)" });
    }
    writeLine(text, level);
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

const LOGGER_KEY = Symbol.for("next-channels-broadcast.logger");
type LoggerHolder = { [LOGGER_KEY]?: NotificationsLogger };
const holder = globalThis as LoggerHolder;

/**
 * The process's logger: the one `setLogger` installed (`startNotificationsServer` and
 * `connectFromEnv` install one from the settings), else text on the console at `info`. Kept on
 * `globalThis`, like the runtime, so the custom server and Next's bundle share it.
 *
 * @example
 * getLogger().warn("[notifications] something worth knowing");
 */
export function getLogger(): NotificationsLogger {
  return (holder[LOGGER_KEY] ??= createLogger());
}

/**
 * Makes `logger` the process's logger (what `getLogger()` returns).
 *
 * @example
 * setLogger(createLogger({ format: "json" }));
 */
export function setLogger(logger: NotificationsLogger): void {
  holder[LOGGER_KEY] = logger;
}
