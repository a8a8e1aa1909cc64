/**
 * `next-channels-broadcast migrate`: creates or updates the kit's tables where the app's server
 * will find them — PostgreSQL at `DATABASE_URL`, or the embedded PGlite directory
 * (`NOTIFICATIONS_PGLITE_DIR`, default `.data/notifications`). The server migrates at start-up
 * too; this is for deploy pipelines and for `init`.
 */
import { join } from "node:path";
import { openNotificationsStore } from "../server/store/open.js";

/**
 * Migrates the store the environment points at (with the server stopped when it is PGlite: one
 * process per directory). Resolves once the tables are up to date, with how many migrations it
 * applied (0: they already were).
 *
 * @example
 * const applied = await migrateFromEnv({ root: process.cwd() });
 */
export async function migrateFromEnv(options: { root?: string; env?: Record<string, string | undefined> } = {}): Promise<number> {
  const env = options.env ?? process.env;
  const root = options.root ?? process.cwd();
  let applied = 0;
  const store = await openNotificationsStore({
    env,
    pgliteDir: env.NOTIFICATIONS_PGLITE_DIR?.trim() ? undefined : join(root, ".data/notifications"),
    onMigrated: (count) => (applied = count),
  });
  await store.close();
  return applied;
}
