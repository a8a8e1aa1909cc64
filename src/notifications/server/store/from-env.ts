/**
 * A notification store from the environment, for processes that are not the app's server:
 * workers, scripts, cron jobs. `getRuntime()` uses it, so `sendToUser()` from a worker is
 * stored (id, inbox, replay on connect) exactly like a send from a server action.
 *
 * - `DATABASE_URL` set: PostgreSQL through postgres.js, on the tables the app's server
 *   migrated (this never migrates: the schema belongs to the app's start-up).
 * - `DATABASE_URL` unset: no store. The default database, PGlite, is embedded in the server's
 *   process and cannot be opened by a second one, so a worker's sends are then live only:
 *   delivered to connected tabs (through Redis), not stored, not replayed.
 */
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { InvalidSettingError } from "../../shared/errors";
import { createDrizzleStore, type DrizzleStoreOptions } from "./index";
import type { NotificationStore } from "./types";

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
 * Nothing connects until the first send. An invalid `DATABASE_URL` throws `InvalidSettingError`.
 *
 * @example
 * // a worker with DATABASE_URL and REDIS_URL set, like the app's server
 * const store = createStoreFromEnv();           // what getRuntime() does for you
 * await sendToUser(alice.id, "Report ready");   // stored, published, replayed if she is offline
 * await closeRuntime();                         // ends Redis and the pool
 */
export function createStoreFromEnv(env: Readonly<Record<string, string | undefined>> = process.env, options: StoreFromEnvOptions = {}): NotificationStore | null {
  const raw = env[STORE_ENV_NAMES.url]?.trim();
  if (!raw) return null;
  const { maxConnections = 4, connectTimeoutSeconds = 10, ...storeOptions } = options;
  const client = postgres(checkedUrl(raw), { max: maxConnections, connect_timeout: connectTimeoutSeconds, onnotice: () => {} });
  const store = createDrizzleStore(drizzle({ client }), { ...storeOptions, env });
  let closing: Promise<void> | undefined;
  return {
    ...store,
    close() {
      closing ??= (async () => {
        await store.close();
        await client.end({ timeout: 5 });
      })();
      return closing;
    },
  };
}
