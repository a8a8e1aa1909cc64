/**
 * Turns a page channel name back into its database row — what an authorizer needs to decide
 * "may this user follow articles-42?". Part of `next-channels-broadcast/drizzle`: it queries.
 */
import { eq } from "drizzle-orm";
import type { PgDatabase, PgTable } from "drizzle-orm/pg-core";
import { channelNameProblem } from "../../shared/channels.js";
import { keyKind, keyProblem, primaryKeyOf, tableNameOf } from "../objects.js";

/** Why a channel name did not resolve to a row. */
export type ObjectLookupFailure = "malformed-name" | "unknown-table" | "missing-row";

export type ObjectLookup<T extends PgTable = PgTable> =
  | { ok: true; table: T; id: string | number; row: Record<string, unknown> }
  | { ok: false; reason: ObjectLookupFailure };

/**
 * Turns a channel name back into its row, looking only in `tables` (an allow-list). Unknown
 * tables, malformed names and missing rows come back as `{ ok: false, reason }` — never a throw —
 * so an authorizer can simply deny.
 *
 * @example
 * const found = await findObjectByChannel(db, [articles], "articles-42");
 * if (found.ok) console.log(found.row.title);
 */
export async function findObjectByChannel<T extends PgTable>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any Drizzle pg driver (PGlite, postgres.js)
  db: PgDatabase<any, any, any>,
  tables: readonly T[],
  name: string,
): Promise<ObjectLookup<T>> {
  if (typeof name !== "string" || channelNameProblem(name) !== null) return { ok: false, reason: "malformed-name" };
  // The longest table name that prefixes the channel wins, so "order-items-3" is not read as table "order".
  const candidates = tables
    .map((table) => ({ table, prefix: `${tableNameOf(table)}-` }))
    .filter(({ prefix }) => name.startsWith(prefix))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const match = candidates[0];
  if (!match) return { ok: false, reason: "unknown-table" };
  const key = name.slice(match.prefix.length);
  const { column } = primaryKeyOf(match.table);
  const kind = keyKind(column);
  if (keyProblem(kind, key, column) !== null || (kind === "uuid" && key !== key.toLowerCase())) return { ok: false, reason: "malformed-name" };
  const id = kind === "integer" ? Number(key) : key;
  const rows = (await db.select().from(match.table as PgTable).where(eq(column, id)).limit(1)) as Record<string, unknown>[];
  const row = rows[0];
  return row ? { ok: true, table: match.table, id, row } : { ok: false, reason: "missing-row" };
}
