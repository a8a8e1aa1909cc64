/**
 * A notification store from the environment, for processes that are not the app's server:
 * workers, scripts, cron jobs. `connectFromEnv()` uses it, so `sendToUser()` from a worker is
 * stored (id, inbox, replay on connect) exactly like a send from a server action.
 *
 * - `DATABASE_URL` set: PostgreSQL through postgres.js, on the tables the app's server
 *   migrated (a worker does not migrate unless asked: the schema belongs to the server's start-up).
 * - `DATABASE_URL` unset: no store. The default database, PGlite, is embedded in the server's
 *   process and cannot be opened by a second one, so a worker's sends are then live only:
 *   delivered to connected tabs (through Redis), not stored, not replayed.
 */
import { InvalidSettingError } from "../../shared/errors.js";
import { loadOptional } from "../optional.js";
import { closingItsDatabase, createDrizzleStore, type DrizzleStoreOptions, type StoreDatabase } from "./index.js";
import { migrateNotifications } from "./migrate.js";
import type { NotificationStore } from "./types.js";

/** Environment variables read by `createStoreFromEnv`. */
export const STORE_ENV_NAMES = {
  /** PostgreSQL URL; set = the store on it, unset or empty = no store. */
  url: "DATABASE_URL",
} as const;

export interface StoreFromEnvOptions extends Omit<DrizzleStoreOptions, "env"> {
  /** Most connections the store's PostgreSQL pool opens. Default 4 (a worker sends little at once). */
  maxConnections?: number;
  /** Seconds to wait for a connection before a send fails. Default 10. */
  connectTimeoutSeconds?: number;
  /** Apply the kit's migrations first (`openNotificationsStore` does; a worker normally leaves that to the server). Default false. */
  migrate?: boolean;
  /** Told how many migrations were applied (0: the tables were up to date). */
  onMigrated?: (applied: number) => void;
}

function checkedUrl(raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new InvalidSettingError(STORE_ENV_NAMES.url, "is not a URL (expected postgres://user:password@host:5432/database).");
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new InvalidSettingError(STORE_ENV_NAMES.url, `expected a postgres:// or postgresql:// URL, got ${parsed.protocol}//…`);
  }
  return raw;
}

/**
 * The store the environment asks for, or null without `DATABASE_URL`. The returned store owns its
 * connection pool: its `close()` ends it (`closeRuntime()` does that for the runtime's store).
 * Nothing connects until the first send. An invalid `DATABASE_URL` throws `InvalidSettingError`;
 * without the `postgres` package, `MissingDependencyError` names it.
 *
 * @example
 * // a worker with DATABASE_URL and REDIS_URL set, like the app's server
 * const store = await createStoreFromEnv();     // what connectFromEnv() does for you
 * await sendToUser(alice.id, "Report ready");   // stored, published, replayed if she is offline
 * await closeRuntime();                         // ends Redis and the pool
 */
export async function createStoreFromEnv(env: Readonly<Record<string, string | undefined>> = process.env, options: StoreFromEnvOptions = {}): Promise<NotificationStore | null> {
  const raw = env[STORE_ENV_NAMES.url]?.trim();
  if (!raw) return null;
  const { maxConnections = 4, connectTimeoutSeconds = 10, migrate = false, onMigrated, ...storeOptions } = options;
  const connection = await connectPostgres(checkedUrl(raw), { maxConnections, connectTimeoutSeconds });
  try {
    if (migrate) onMigrated?.(await migrateNotifications(connection.db));
  } catch (error) {
    await connection.close();
    throw error;
  }
  return closingItsDatabase(createDrizzleStore(connection.db, { ...storeOptions, env }), () => connection.close());
}

/** A Drizzle database on PostgreSQL (postgres.js) and the function that ends its pool. */
async function connectPostgres(url: string, options: { maxConnections: number; connectTimeoutSeconds: number }): Promise<{ db: StoreDatabase; close(): Promise<void> }> {
  const feature = "DATABASE_URL (the notification store on PostgreSQL)";
  const { default: postgres } = await loadOptional("postgres", feature, () => import("postgres"));
  const { drizzle } = await loadOptional("drizzle-orm", feature, () => import("drizzle-orm/postgres-js"));
  const client = postgres(url, { max: options.maxConnections, connect_timeout: options.connectTimeoutSeconds, onnotice: () => {} });
  return { db: drizzle({ client }), close: () => client.end({ timeout: 5 }) };
}
