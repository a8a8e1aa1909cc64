/**
 * The notification store on Drizzle: PGlite (embedded) or PostgreSQL, same schema, same
 * migrations. The kit never opens a database itself: the app hands its Drizzle instance in.
 *
 * Ids: a send takes a transaction-scoped advisory lock before its id is drawn, so ids become
 * visible in the order they were drawn, across every process sharing the database. Without it
 * a row with a lower id could commit after a higher one, and a client that already reported the
 * higher id would never be sent the lower one.
 *
 * Idempotency keys: a save with a key that is already stored inserts nothing and answers the
 * existing row's id (`ON CONFLICT … DO NOTHING`, then a look-up). Keys are kept as long as their
 * rows, i.e. until the row expires (inbox retention or recovery window) and is cleaned up.
 */
import { sql, type SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { IdempotencyConflictError } from "../../shared/errors.js";
import { createTurnQueue, runsInProcess, takeTurns, type TurnQueue } from "./in-process-queue.js";
import { createCenterStore } from "./center.js";
import { createReplayReads } from "./replay-reads.js";
import { readStoreSettings, type StoreSettings } from "./settings.js";
import { notificationProgress, notificationRevocations, notifications } from "./schema.js";
import type { NotificationStore, StorableFrame, StoredNotification } from "./types.js";
import { revocationKey, storedWireText } from "./wire.js";
import { getLogger } from "../logger.js";

export type { CenterStore, CenterRow, CenterFilter, CenterChange } from "./center.js";
export type { CleanupOptions, InboxAck, NotificationStore, RevocationSubject, SaveOptions, StorableFrame, StoredNotification } from "./types.js";
export { readStoreSettings, DEFAULT_STORE_SETTINGS, STORE_SETTING_ENV_NAMES, type StoreSettings } from "./settings.js";
export { notifications, notificationProgress, notificationRevocations } from "./schema.js";
export { revocationKey, storedWireText } from "./wire.js";

/**
 * Any Drizzle PostgreSQL database: `drizzle-orm/pglite`, `drizzle-orm/postgres-js`, `node-postgres`…
 * whatever schema it was created with.
 */
export type StoreDatabase<TSchema extends Record<string, unknown> = Record<string, unknown>> = PgDatabase<PgQueryResultHKT, TSchema>;

export interface DrizzleStoreOptions {
  /** Settings given in code, on top of the environment (`readStoreSettings`). */
  settings?: Partial<StoreSettings>;
  /** Environment to read settings from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The store's notion of now (tests move it). Default: the system clock. */
  clock?: () => Date;
  /**
   * Run the store's operations one at a time with an event-loop turn before each. Default: on
   * for PGlite (it runs on the main thread; see in-process-queue.ts), off for a networked database.
   */
  takeTurns?: boolean;
}

/** The operations that reach the database (what `takeTurns` queues). The replay reads are batched
 * first and take their turns per batch (replay-reads.ts). */
const DATABASE_OPERATIONS = ["save", "saveProgress", "ackInbox", "revoke", "revocations", "deleteExpired", "currentWatermark", "inboxBacklog"] as const satisfies readonly (keyof NotificationStore)[];

/** Key of the advisory lock that orders id allocation (any constant unique to this kit). */
const ID_ORDER_LOCK_KEY = 4_711_202_605;
/** Rows deleted per statement by the cleanup, so it never holds one huge transaction. */
const DELETE_BATCH = 5_000;

/** Rows of a raw `execute`, whichever driver ran it (PGlite: `{rows}`, postgres.js: an array). */
function rowsOf(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result)) return result as Record<string, unknown>[];
  const rows = (result as { rows?: unknown } | null)?.rows;
  return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
}

function isId(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Creates the notification store on an app's Drizzle database. The tables come from the app's
 * migrations (`drizzle/`, generated from `store/schema.ts` too).
 *
 * @example
 * import { getDb, migrateDatabase } from "@/db";
 * await migrateDatabase();
 * const store = createDrizzleStore(getDb());
 * const running = await startNotificationsServer({ store });
 */
export function createDrizzleStore<TSchema extends Record<string, unknown>>(
  db: StoreDatabase<TSchema>,
  options: DrizzleStoreOptions = {},
): NotificationStore {
  const settings = readStoreSettings(options.env ?? process.env, options.settings);
  const clock = options.clock ?? (() => new Date());
  const timers = new Set<NodeJS.Timeout>();

  const execute = async (query: SQL): Promise<Record<string, unknown>[]> => rowsOf(await db.execute(query));
  const toStored = (row: { id: number; group: string; inbox: boolean; frame: string }): StoredNotification => ({
    id: row.id,
    group: row.group,
    inbox: row.inbox,
    text: storedWireText(JSON.parse(row.frame) as StorableFrame, row.id, row.inbox),
  });
  const inProcess = options.takeTurns ?? runsInProcess(db);
  const inTurn: TurnQueue = inProcess ? createTurnQueue() : (operation) => operation();
  const replayReads = createReplayReads({ execute, clock, settings, toStored, inTurn });
  const center = createCenterStore({ execute: (query) => inTurn(() => execute(query)), clock });

  async function deleteInBatches(table: "notifications" | "progress" | "revocations", cutoff: Date): Promise<number> {
    let total = 0;
    const limit = sql.raw(String(DELETE_BATCH));
    const before = sql`${cutoff.toISOString()}::timestamptz`;
    for (;;) {
      const query =
        table === "notifications"
          ? sql`with doomed as (
                  delete from ${notifications} where "id" in (
                    select "id" from ${notifications}
                    where "expires_at" <= ${before} and ("keep_until" is null or "keep_until" <= ${before}) limit ${limit})
                  returning 1)
                select count(*)::int as "deleted" from doomed`
          : table === "progress"
            ? sql`with doomed as (
                  delete from ${notificationProgress} where "group" in (
                    select "group" from ${notificationProgress} where "updated_at" <= ${before} limit ${limit})
                  returning 1)
                select count(*)::int as "deleted" from doomed`
            : sql`with doomed as (
                  delete from ${notificationRevocations} where "subject" in (
                    select "subject" from ${notificationRevocations} where "expires_at" <= ${before} limit ${limit})
                  returning 1)
                select count(*)::int as "deleted" from doomed`;
      const [row] = await execute(query);
      const deleted = Number(row?.deleted ?? 0);
      total += deleted;
      if (deleted < DELETE_BATCH) return total;
    }
  }

  const store: NotificationStore = {
    settings,

    async save(group, frame, { inbox, idempotencyKey = null }) {
      const now = clock();
      const expiresAt = new Date(now.getTime() + (inbox ? settings.inboxRetentionMs : settings.recoveryWindowMs));
      // A user's message also lives in their notification center, for a retention of its own.
      const keepUntil = inbox && frame.type === "message" ? new Date(Math.max(expiresAt.getTime(), now.getTime() + settings.centerRetentionMs)).toISOString() : null;
      const { id: _ignored, ...withoutId } = frame as StorableFrame & { id?: unknown };
      const content = JSON.stringify(withoutId);
      const key = idempotencyKey ?? null;
      // Two rounds at most: a keyed row found in conflict can be deleted (expired) before it is
      // looked up; the second insert then succeeds.
      for (let attempt = 0; attempt < 2; attempt++) {
        // The lock is taken by the materialised CTE before the row (and its id) is produced,
        // and released when this single-statement transaction commits. A concurrent save with
        // the same key waits for that lock, then sees the committed row and inserts nothing.
        const [row] = await execute(sql`
          with ordered as materialized (select pg_advisory_xact_lock(${sql.raw(String(ID_ORDER_LOCK_KEY))}))
          insert into ${notifications} ("group", "kind", "frame", "inbox", "created_at", "expires_at", "idempotency_key", "keep_until")
          select ${group}::text, ${frame.type}::text, ${content}::text, ${inbox}::boolean,
                 ${now.toISOString()}::timestamptz, ${expiresAt.toISOString()}::timestamptz, ${key}::text, ${keepUntil}::timestamptz
          from ordered
          on conflict ("group", "kind", "idempotency_key") where "idempotency_key" is not null do nothing
          returning "id"`);
        if (row === undefined && key !== null) {
          // A key is scoped to its recipient and kind: the same key for another user is another send.
          const [existing] = await execute(sql`
            select "id", "frame" from ${notifications}
            where "group" = ${group}::text and "kind" = ${frame.type}::text and "idempotency_key" = ${key}::text`);
          if (existing === undefined) continue;
          const id = Number(existing.id);
          if (!isId(id)) throw new Error(`The database returned no id for idempotency key ${JSON.stringify(key)} (got ${String(existing.id)}).`);
          if (existing.frame !== content) throw new IdempotencyConflictError(key, id);
          return id;
        }
        const id = Number(row?.id);
        if (!isId(id)) throw new Error(`The database returned no id for the stored notification (got ${String(row?.id)}).`);
        return id;
      }
      throw new Error(`Could not store or find the notification with idempotency key ${JSON.stringify(key)}.`);
    },

    async saveProgress(group, frame) {
      const now = clock().toISOString();
      const [row] = await execute(sql`
        insert into ${notificationProgress} ("group", "percent", "version", "updated_at")
        values (${group}::text, ${frame.percent}::text, 1, ${now}::timestamptz)
        on conflict ("group") do update
          set "percent" = excluded."percent", "version" = ${notificationProgress}."version" + 1, "updated_at" = excluded."updated_at"
        returning "version"`);
      const version = Number(row?.version);
      if (!isId(version)) throw new Error(`The database returned no progress version for ${group} (got ${String(row?.version)}).`);
      return version;
    },

    ...replayReads,
    center,

    async ackInbox(acks) {
      const valid = acks.filter((ack) => isId(ack.id) && typeof ack.group === "string");
      if (valid.length === 0) return 0;
      // One statement for the whole batch: each (group, id) pair marks its row only when it is a
      // pending inbox row of that very group, so an id from someone else's inbox changes nothing.
      const groups = `{${valid.map((ack) => JSON.stringify(ack.group)).join(",")}}`;
      const ids = `{${valid.map((ack) => ack.id).join(",")}}`;
      const [row] = await execute(sql`
        with marked as (
          update ${notifications} as n set "acked_at" = ${clock().toISOString()}::timestamptz
          from unnest(${groups}::text[], ${ids}::bigint[]) as a("group", "id")
          where n."id" = a."id" and n."group" = a."group" and n."inbox" and n."acked_at" is null
          returning 1
        )
        select count(*)::int as "marked" from marked`);
      return Number(row?.marked ?? 0);
    },

    async revoke(subject, { at = clock(), expiresAt }) {
      const key = revocationKey(subject);
      await execute(sql`
        insert into ${notificationRevocations} ("subject", "revoked_at", "expires_at")
        values (${key}::text, ${at.toISOString()}::timestamptz, ${expiresAt.toISOString()}::timestamptz)
        on conflict ("subject") do update
          set "revoked_at" = greatest(${notificationRevocations}."revoked_at", excluded."revoked_at"),
              "expires_at" = greatest(${notificationRevocations}."expires_at", excluded."expires_at")`);
    },

    async revocations(subjects) {
      const keys = [...new Set(subjects.map(revocationKey))];
      const found = new Map<string, number>();
      if (keys.length === 0) return found;
      // One statement text whatever the number of keys (a JSON array in one parameter, as the replay
      // reads do): the driver prepares it once, and no query is built per key. Built with the query
      // builder and `inArray`, this look-up was the costliest statement of a reconnect storm
      // (bench/README.md, connect storm).
      const rows = await execute(sql`
        select "subject", floor(extract(epoch from "revoked_at") * 1000)::float8 as "revoked_ms"
        from ${notificationRevocations}
        where "subject" = any (array(select jsonb_array_elements_text(${JSON.stringify(keys)}::jsonb)))
          and "expires_at" > ${clock().toISOString()}::timestamptz`);
      for (const row of rows) found.set(String(row.subject), Number(row.revoked_ms));
      return found;
    },

    async deleteExpired(now = clock()) {
      const rows = await deleteInBatches("notifications", now);
      const progress = await deleteInBatches("progress", new Date(now.getTime() - settings.inboxRetentionMs));
      const revocations = await deleteInBatches("revocations", now);
      return rows + progress + revocations;
    },

    async inboxBacklog(limit) {
      const rows = await execute(sql`
        select "group", count(*)::int as "pending" from ${notifications}
        where "inbox" and "acked_at" is null and "expires_at" > ${clock().toISOString()}::timestamptz
        group by "group" order by count(*) desc, "group" limit ${Math.max(0, Math.floor(limit))}`);
      return rows.map((row) => ({ group: String(row.group), pending: Number(row.pending) }));
    },

    async currentWatermark() {
      const [row] = await db.select({ max: sql<string | number | null>`max(${notifications.id})` }).from(notifications);
      return row?.max == null ? 0 : Number(row.max);
    },

    startCleanup({ intervalMs = settings.cleanupIntervalMs, onRun, onError = (error: unknown) => getLogger().error("[notifications] cleanup of expired rows failed", error) } = {}) {
      let running = false;
      const timer = setInterval(() => {
        if (running) return; // a slow run is not stacked on
        running = true;
        // Through the store as returned (queued when it takes turns), not this object's own method.
        returned
          .deleteExpired()
          .then((deleted) => onRun?.(deleted), onError)
          .finally(() => {
            running = false;
          });
      }, intervalMs);
      timer.unref();
      timers.add(timer);
      return () => {
        clearInterval(timer);
        timers.delete(timer);
      };
    },

    async close() {
      for (const timer of timers) clearInterval(timer);
      timers.clear();
    },
  };
  const returned = inProcess ? takeTurns(store, DATABASE_OPERATIONS, inTurn) : store;
  return returned;
}

/**
 * `store` whose `close()` also ends the database it opened itself (a pool, a PGlite directory and
 * its lock): once, however often it is called. For stores made from settings, whose database
 * nobody else holds.
 *
 * @example
 * return closingItsDatabase(createDrizzleStore(db), () => pool.end());
 */
export function closingItsDatabase(store: NotificationStore, closeDatabase: () => Promise<void>): NotificationStore {
  let closing: Promise<void> | undefined;
  return {
    ...store,
    close() {
      closing ??= (async () => {
        await store.close();
        await closeDatabase();
      })();
      return closing;
    },
  };
}
