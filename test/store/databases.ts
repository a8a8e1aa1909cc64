/**
 * Real databases for store tests, migrated with the project's own migrations (drizzle/):
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
import type { StoreDatabase } from "../../src/notifications/server/store";

export const MIGRATIONS_FOLDER = resolve(import.meta.dirname, "../../drizzle");

export interface TestDatabase {
  db: StoreDatabase;
  /** Empties the kit's tables and restarts ids at 1. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

async function truncate(db: StoreDatabase): Promise<void> {
  await db.execute(sql`truncate table notifications, notification_progress, notification_revocations restart identity`);
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
  return {
    db,
    reset: () => truncate(db),
    close: () => client.end({ timeout: 5 }),
  };
}
