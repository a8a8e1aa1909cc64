/**
 * The runtime of a process that is not the app's server — a worker, a script, a cron job, the
 * CLI — built from the environment, so its sends reach the same tabs and the same store as the
 * server's: the Redis layer with `REDIS_URL` (every gateway process gets them), a store on
 * PostgreSQL with `DATABASE_URL` (stored, replayed). Without `REDIS_URL` a worker's sends reach
 * only sockets of its own process, which has none: the function says so.
 */
import { createLayerFromEnv } from "./layer/from-env.js";
import { loadOptional } from "./optional.js";
import { installRuntime, peekRuntime, type NotificationsRuntime } from "./runtime.js";
import { readSettings } from "./settings.js";
import { createLogger, getLogger, setLogger } from "./logger.js";

export interface ConnectFromEnvOptions {
  /** Where settings and URLs are read. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Called when the environment cannot reach any browser (no `REDIS_URL`). Default: the process logger's `warn`. */
  warn?: (message: string) => void;
}

/**
 * Installs (and returns) this process's runtime from the environment, unless one is installed
 * already. Call it once at the top of a worker; `closeRuntime()` at the end releases Redis and the
 * database pool. Invalid settings throw `InvalidSettingError` naming the variable; a missing
 * optional package throws `MissingDependencyError` naming it.
 *
 * @example
 * // worker.ts — run with the server's REDIS_URL and DATABASE_URL
 * import { connectFromEnv } from "next-channels-broadcast/node";
 * import { closeRuntime, sendToUser } from "next-channels-broadcast/server";
 * await connectFromEnv();
 * await sendToUser(userId, "Your report is ready", { level: "success" }); // stored, then published
 * await closeRuntime();
 */
export async function connectFromEnv(options: ConnectFromEnvOptions = {}): Promise<NotificationsRuntime> {
  const existing = peekRuntime();
  if (existing) return existing;
  const env = options.env ?? process.env;
  const settings = readSettings(env);
  setLogger(createLogger({ level: settings.logLevel, format: settings.logFormat, processId: settings.processId }));
  if (!env.REDIS_URL?.trim()) {
    (options.warn ?? ((message: string) => getLogger().warn(message)))("[notifications] REDIS_URL is not set: sends from this process reach only sockets of this same process. Set it to the server's Redis to reach every tab.");
  }
  const layer = await createLayerFromEnv(env);
  try {
    if (!env.DATABASE_URL?.trim()) return installRuntime({ settings, layer });
    const { createStoreFromEnv } = await loadOptional("drizzle-orm", "DATABASE_URL (the notification store)", () => import("./store/from-env.js"));
    const store = await createStoreFromEnv(env);
    return installRuntime(store ? { settings, layer, store } : { settings, layer });
  } catch (error) {
    // An invalid DATABASE_URL must not leave a Redis connection keeping the process alive.
    await layer.close().catch(() => undefined);
    throw error;
  }
}
