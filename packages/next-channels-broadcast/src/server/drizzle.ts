/**
 * `next-channels-broadcast/drizzle`: the notification store on Drizzle — its `ncb_*` tables, the
 * migrations shipped in this package, and the store itself — on PGlite or PostgreSQL. Needs
 * `drizzle-orm`, plus `@electric-sql/pglite` or `postgres` for the database you use.
 *
 * @example
 * // with your own Drizzle database
 * import { createDrizzleStore, migrateNotifications } from "next-channels-broadcast/drizzle";
 * await migrateNotifications(db);
 * const store = createDrizzleStore(db);
 *
 * // or one of its own: PGlite in .data/notifications, PostgreSQL with DATABASE_URL
 * const store = await openNotificationsStore();
 */
export {
  createDrizzleStore,
  readStoreSettings,
  DEFAULT_STORE_SETTINGS,
  STORE_SETTING_ENV_NAMES,
  notifications,
  notificationProgress,
  notificationRevocations,
  storedWireText,
  revocationKey,
  type DrizzleStoreOptions,
  type StoreDatabase,
  type StoreSettings,
  type NotificationStore,
  type StoredNotification,
  type StorableFrame,
  type CleanupOptions,
  type InboxAck,
  type RevocationSubject,
} from "./store/index.js";
export { migrateNotifications, NOTIFICATIONS_MIGRATIONS_TABLE } from "./store/migrate.js";
export { openNotificationsStore, DEFAULT_NOTIFICATIONS_PGLITE_DIR, type OpenStoreOptions } from "./store/open.js";
export { createStoreFromEnv, STORE_ENV_NAMES, type StoreFromEnvOptions } from "./store/from-env.js";
export { findObjectByChannel, type ObjectLookup, type ObjectLookupFailure } from "./store/find-object.js";
export { acquirePgliteLock, releasePgliteLock, DatabaseLockedError, PGLITE_LOCK_FILE } from "./store/pglite-lock.js";
