/**
 * Real databases for store tests, migrated with the demo's migrations (drizzle/) and the kit's own:
 * PGlite in a temp directory, and PostgreSQL (postgres.js) at a URL.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import type { StoreDatabase } from "../../packages/next-channels-broadcast/src/server/store";
import { migrateNotifications } from "../../packages/next-channels-broadcast/src/server/store/migrate";

/** The demo's migrations (users, articles, comments); the kit's own are applied by `migrateNotifications`. */
export const MIGRATIONS_FOLDER = resolve(import.meta.dirname, "../../drizzle");

export interface TestDatabase {
  db: StoreDatabase;
  /** Empties the kit's tables and restarts ids at 1. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

async function truncate(db: StoreDatabase): Promise<void> {
  await db.execute(sql`truncate table ncb_notifications, ncb_notification_progress, ncb_revocations restart identity`);
}

/**
 * PGlite on `dataDir` (a fresh temp directory when omitted; removed on close unless given),
 * migrated from drizzle/.
 */
export async function openPgliteDatabase(dataDir?: string): Promise<TestDatabase & { dataDir: string }> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), "ncb-pglite-"));
  const client = new PGlite(dir);
  const db = drizzlePglite({ client });
  await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
  await migrateNotifications(db);
  return {
    db,
    dataDir: dir,
    reset: () => truncate(db),
    async close() {
      if (!client.closed) await client.close();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** PostgreSQL at `url` through postgres.js, migrated from drizzle/. */
export async function openPostgresDatabase(url: string): Promise<TestDatabase> {
  const client = postgres(url, { max: 5, onnotice: () => {} });
  const db = drizzlePostgres({ client });
  await migratePostgres(db, { migrationsFolder: MIGRATIONS_FOLDER });
  await migrateNotifications(db);
  return {
    db,
    reset: () => truncate(db),
    close: () => client.end({ timeout: 5 }),
  };
}
