/**
 * A ready-to-use store with its own database connection: PostgreSQL when `DATABASE_URL` is set,
 * otherwise embedded PGlite in its own directory (`.data/notifications`). Migrated on open. For
 * apps that do not use Drizzle themselves — an app with its own Drizzle database passes that to
 * `createDrizzleStore(db)` after `migrateNotifications(db)` instead.
 */
import path from "node:path";
import { loadOptional } from "../optional.js";
import { closingItsDatabase, createDrizzleStore, type DrizzleStoreOptions } from "./index.js";
import { migrateNotifications } from "./migrate.js";
import { acquirePgliteLock, releasePgliteLock } from "./pglite-lock.js";
import { createStoreFromEnv } from "./from-env.js";
import type { NotificationStore } from "./types.js";

/** Default directory of the kit's own PGlite database. */
export const DEFAULT_NOTIFICATIONS_PGLITE_DIR = ".data/notifications";

export interface OpenStoreOptions extends Omit<DrizzleStoreOptions, "env"> {
  /** Where settings and URLs are read. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** PGlite directory when there is no `DATABASE_URL`. Default `NOTIFICATIONS_PGLITE_DIR` or `.data/notifications`. */
  pgliteDir?: string;
  /** Told how many migrations were applied (0: the tables were up to date); `init` reports it. */
  onMigrated?: (applied: number) => void;
}

/**
 * Opens (and migrates) the store the environment asks for. The store owns its connection: its
 * `close()` closes it (and releases the PGlite directory's lock). A directory held by another
 * live process throws `DatabaseLockedError`; a missing driver throws `MissingDependencyError`.
 *
 * @example
 * // server.ts
 * const store = await openNotificationsStore();
 * const running = await startNotificationsServer({ store });
 */
export async function openNotificationsStore(options: OpenStoreOptions = {}): Promise<NotificationStore> {
  const env = options.env ?? process.env;
  const { pgliteDir, env: _env, onMigrated, ...storeOptions } = options;
  if (env.DATABASE_URL?.trim()) return (await createStoreFromEnv(env, { ...storeOptions, migrate: true, onMigrated }))!;
  const dir = path.resolve(/* turbopackIgnore: true */ pgliteDir ?? (env.NOTIFICATIONS_PGLITE_DIR?.trim() || DEFAULT_NOTIFICATIONS_PGLITE_DIR));
  const feature = "the embedded notification store (PGlite)";
  const { PGlite } = await loadOptional("@electric-sql/pglite", feature, () => import("@electric-sql/pglite"));
  const { drizzle } = await import("drizzle-orm/pglite");
  const lockFile = acquirePgliteLock(dir);
  let client: InstanceType<typeof PGlite> | undefined;
  try {
    client = new PGlite(dir);
    const db = drizzle({ client });
    onMigrated?.(await migrateNotifications(db));
    return closingItsDatabase(createDrizzleStore(db, { ...storeOptions, env }), async () => {
      try {
        if (!client!.closed) await client!.close();
      } finally {
        releasePgliteLock(lockFile);
      }
    });
  } catch (error) {
    if (client && !client.closed) await client.close().catch(() => undefined);
    releasePgliteLock(lockFile);
    throw error;
  }
}
