/**
 * Synthetic notification rows for the replay benchmark, inserted in bulk by the database itself
 * (generate_series), deterministic (a multiplicative hash instead of random()).
 *
 * Row i (ids follow i) is created at `origin + i × ROW_SPACING_MS`: one send every 0.6 s, so
 * 1 million rows span the 7 days of the default inbox retention. Mix:
 * - 80 % user inbox rows over USERS users (`user:u1`…), 90 % of them acknowledged,
 *   kept 7 days;
 * - 5 % `all`, 5 % `authenticated`, 10 % page channels `articles-1`…`articles-1000`,
 *   expiring 2 minutes after creation.
 * Expired rows are NOT deleted (no cleanup runs): the worst case for the connect-time queries,
 * as if the periodic cleanup had been off for a week.
 */
import { resolve } from "node:path";
import { sql } from "drizzle-orm";
import type { StoreDatabase } from "../packages/next-channels-broadcast/src/server/store";

export const MIGRATIONS_FOLDER = resolve(import.meta.dirname, "../drizzle");
/** Milliseconds between two synthetic rows (1,000,000 rows ≈ 7 days). */
export const ROW_SPACING_MS = 604.8;
/** Users the inbox rows are spread over. */
export const USERS = 20_000;
/** Page channels the channel rows are spread over. */
export const CHANNELS = 1_000;

const FRAME = JSON.stringify({ type: "message", text: "Synthetic notification for the replay benchmark", cssClass: "info", clickURL: null, closeURL: null, hideCloseOption: false });

/** Inserts rows `from`…`to` (inclusive) in batches of 100,000. */
export async function fillNotifications(db: StoreDatabase, options: { from: number; to: number; origin: Date }): Promise<void> {
  const BATCH = 100_000;
  for (let first = options.from; first <= options.to; first += BATCH) {
    const last = Math.min(options.to, first + BATCH - 1);
    await db.execute(sql`
      insert into ncb_notifications ("group", "kind", "frame", "inbox", "created_at", "expires_at", "acked_at")
      select
        case when r < 800 then 'user:u' || (1 + (i * 7919) % ${sql.raw(String(USERS))})
             when r < 850 then 'all'
             when r < 900 then 'authenticated'
             else 'articles-' || (1 + (i * 104729) % ${sql.raw(String(CHANNELS))}) end,
        'message', ${FRAME}, r < 800, ts,
        ts + case when r < 800 then interval '7 days' else interval '2 minutes' end,
        case when r < 800 and i % 10 <> 0 then ts + interval '1 minute' else null end
      from (
        select i, (i * 2654435761) % 1000 as r,
               ${options.origin.toISOString()}::timestamptz + i * ${sql.raw(String(ROW_SPACING_MS))} * interval '1 millisecond' as ts
        from generate_series(${first}::bigint, ${last}::bigint) as g(i)
      ) s
      order by i`);
  }
  await db.execute(sql`analyze ncb_notifications`);
}
