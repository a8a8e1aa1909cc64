/**
 * The database: ONE Drizzle instance per process, opened lazily.
 *
 * - Embedded PGlite by default, in `PGLITE_DATA_DIR` (default `.data/pglite`).
 * - PostgreSQL (postgres.js) when `DATABASE_URL` is set.
 *
 * Why `globalThis`: the custom server (tsx) and Next's compiled bundle are two module graphs in
 * one process; a module-level singleton would exist twice and PGlite would be opened twice on one
 * directory. A `Symbol.for` key on `globalThis` exists once per process.
 *
 * Why a lock file: PGlite does not lock its data directory and two processes corrupt it. The kit's
 * `acquirePgliteLock` takes an exclusive lock file (our pid) and refuses a directory that a live
 * process holds; a lock left behind by a dead process is taken over.
 */
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite, type PgliteDatabase } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { acquirePgliteLock, migrateNotifications, releasePgliteLock } from "next-channels-broadcast/drizzle";
import * as schema from "./schema";

export { schema };
// The directory lock is the kit's (one process per PGlite directory); the demo re-exports it for its CLIs.
export { acquirePgliteLock, DatabaseLockedError, PGLITE_LOCK_FILE, releasePgliteLock } from "next-channels-broadcast/drizzle";

/** The Drizzle database, whichever driver is behind it. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

/** Default PGlite data directory (relative to the working directory). */
export const DEFAULT_PGLITE_DATA_DIR = ".data/pglite";

type Connection =
  | { kind: "pglite"; db: PgliteDatabase<typeof schema>; client: PGlite; dataDir: string; lockFile: string }
  | { kind: "postgres"; db: PostgresJsDatabase<typeof schema>; client: postgres.Sql; url: string };

interface DbHolder {
  connection?: Connection;
  /** Set while the migrations of the current connection run or after they succeeded. */
  migrated?: Promise<void>;
  closing?: Promise<void>;
  exitHookInstalled?: boolean;
}

const DB_KEY = Symbol.for("next-channels-broadcast.db");
type GlobalWithDb = { [DB_KEY]?: DbHolder };

function holder(): DbHolder {
  const g = globalThis as GlobalWithDb;
  return (g[DB_KEY] ??= {});
}

/** The database could not be reached or migrated (e.g. a wrong `DATABASE_URL`). */
export class DatabaseConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DatabaseConnectionError";
  }
}

/** Which database `getDb()` opens, from the environment. */
export function databaseTarget(): { kind: "postgres"; url: string } | { kind: "pglite"; dataDir: string } {
  const url = process.env.DATABASE_URL?.trim();
  if (url) return { kind: "postgres", url };
  // turbopackIgnore: a runtime directory, not something for the build to trace.
  return { kind: "pglite", dataDir: path.resolve(/*turbopackIgnore: true*/ process.env.PGLITE_DATA_DIR?.trim() || DEFAULT_PGLITE_DATA_DIR) };
}

/** `DATABASE_URL` without its password, for messages. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}

function installExitHook(h: DbHolder): void {
  if (h.exitHookInstalled) return;
  h.exitHookInstalled = true;
  // Last resort for processes that exit without closeDatabase(): the lock must not outlive us.
  process.once("exit", () => {
    const connection = holder().connection;
    if (connection?.kind === "pglite") releasePgliteLock(connection.lockFile);
  });
}

function open(): Connection {
  const target = databaseTarget();
  if (target.kind === "postgres") {
    const client = postgres(target.url, { connect_timeout: 10, onnotice: () => {} });
    return { kind: "postgres", client, url: target.url, db: drizzlePostgres({ client, schema }) };
  }
  const lockFile = acquirePgliteLock(target.dataDir);
  try {
    const client = new PGlite(target.dataDir);
    // Surfaced by the first query; keep an early failure from being an unhandled rejection.
    client.waitReady.catch(() => {});
    return { kind: "pglite", client, dataDir: target.dataDir, lockFile, db: drizzlePglite({ client, schema }) };
  } catch (error) {
    releasePgliteLock(lockFile);
    throw error;
  }
}

function connection(): Connection {
  const h = holder();
  if (h.closing) throw new Error("The database is closing.");
  if (!h.connection) {
    h.connection = open();
    h.migrated = undefined;
    installExitHook(h);
  }
  return h.connection;
}

/**
 * The process's Drizzle database; opens it on first use (never at import time).
 * Throws `DatabaseLockedError` when another live process holds the PGlite directory.
 *
 * @example
 * const rows = await getDb().select().from(schema.articles);
 */
export function getDb(): Database {
  return connection().db;
}

/** Which driver is open (or would be opened) in this process. */
export function getDatabaseKind(): "pglite" | "postgres" {
  return holder().connection?.kind ?? databaseTarget().kind;
}

const DEMO_ARTICLES = [
  {
    id: 1,
    title: "Welcome to next-channels-broadcast",
    body: "Every article page is its own channel (articles-<id>). Sign in as an admin, send a message to the object audience with target articles-1, and only readers of this page see it.",
  },
  {
    id: 2,
    title: "Six audiences, three kinds",
    body: "Messages, redirects and progress updates can go to everyone, signed-in users, anonymous visitors, one user, the readers of one row, or any named channel.",
  },
  {
    id: 3,
    title: "Nothing lost on reconnect",
    body: "Stored messages carry an id; the browser acknowledges them, and what was missed while a tab was offline is replayed when it comes back.",
  },
];

/** Arbitrary constant naming this app's migration lock among PostgreSQL advisory locks. */
const MIGRATION_LOCK_KEY = 7_311_402_551;

async function runMigrations(c: Connection): Promise<void> {
  const custom = process.env.DRIZZLE_MIGRATIONS_DIR?.trim();
  const migrationsFolder = custom ? path.resolve(/*turbopackIgnore: true*/ custom) : path.join(process.cwd(), "drizzle");
  if (c.kind === "pglite") {
    await migratePglite(c.db, { migrationsFolder });
  } else {
    try {
      await c.client`select 1`;
    } catch (error) {
      throw new DatabaseConnectionError(
        `Could not connect to PostgreSQL at DATABASE_URL=${redactDatabaseUrl(c.url)}: ${(error as Error).message || String(error)}. ` +
          "Check DATABASE_URL, or unset it to use the embedded PGlite database.",
        { cause: error },
      );
    }
    // Several server processes may start together against one database: a session-level
    // advisory lock lets one migrate while the others wait, then find nothing left to apply.
    const lockHolder = await c.client.reserve();
    try {
      await lockHolder`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
      await migratePostgres(c.db, { migrationsFolder });
    } finally {
      await lockHolder`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => undefined);
      lockHolder.release();
    }
  }
  // The kit's own tables (ncb_*), from the migrations shipped in the package.
  await migrateNotifications(c.db);
  // Demo rows: fixed ids so every start (and every process) agrees, inserted once.
  const db: Database = c.db;
  await db.insert(schema.articles).values(DEMO_ARTICLES).onConflictDoNothing({ target: schema.articles.id });
  await db.execute(sql`select setval(pg_get_serial_sequence('articles', 'id'), greatest((select max(id) from articles), 1))`);
}

/**
 * Applies the migrations in ./drizzle (or `DRIZZLE_MIGRATIONS_DIR`) and the kit's own, and seeds
 * the demo articles.
 * Runs once per connection; later calls return the same promise. An unreachable `DATABASE_URL`
 * fails with a `DatabaseConnectionError` naming it.
 *
 * @example
 * await migrateDatabase(); // at start-up, before serving
 */
export function migrateDatabase(): Promise<void> {
  const h = holder();
  const c = connection();
  if (!h.migrated) {
    const running = runMigrations(c);
    h.migrated = running;
    running.catch(() => {
      if (h.migrated === running) h.migrated = undefined; // allow a retry
    });
  }
  return h.migrated;
}

/**
 * The database after `migrateDatabase()` — what request-time code should use, so pages work even
 * when the start-up script did not migrate (e.g. plain `next dev`).
 */
export async function getReadyDb(): Promise<Database> {
  await migrateDatabase();
  return getDb();
}

/**
 * Closes the database and releases the PGlite lock. Idempotent; safe when nothing is open.
 * The next `getDb()` opens a new connection.
 */
export function closeDatabase(): Promise<void> {
  const h = holder();
  if (h.closing) return h.closing;
  const c = h.connection;
  if (!c) return Promise.resolve();
  const closing = (async () => {
    try {
      await h.migrated?.catch(() => {});
      if (c.kind === "pglite") {
        try {
          if (!c.client.closed) await c.client.close();
        } finally {
          releasePgliteLock(c.lockFile);
        }
      } else {
        await c.client.end({ timeout: 5 });
      }
    } finally {
      h.connection = undefined;
      h.migrated = undefined;
      h.closing = undefined;
    }
  })();
  h.closing = closing;
  return closing;
}
