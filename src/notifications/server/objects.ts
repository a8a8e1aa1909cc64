/**
 * Per-row channels: a database row's page channel is `<table>-<primary key>`, built from a
 * Drizzle table, and can be turned back into the row (for authorizers).
 */
import { eq, getTableName } from "drizzle-orm";
import { getTableConfig, type PgColumn, type PgDatabase, type PgTable } from "drizzle-orm/pg-core";
import { channelNameProblem } from "../shared/channels";
import { InvalidNotificationError } from "../shared/errors";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INTEGER = /^(0|[1-9][0-9]{0,15})$/;

/** A row given by its table and key, or by its table and the row itself. */
export type RowRef<T extends PgTable = PgTable> = { table: T; id: string | number } | { table: T; row: Record<string, unknown> };

function primaryKeyOf(table: PgTable): { column: PgColumn; property: string } {
  const config = getTableConfig(table);
  const columns = config.columns.filter((column) => column.primary);
  if (columns.length !== 1 || config.primaryKeys.length > 0) {
    throw new InvalidNotificationError("INVALID_ARGUMENT", `Table ${config.name} needs a single-column primary key to have per-row channels.`);
  }
  const column = columns[0]!;
  // The row object is keyed by the TypeScript property name, which may differ from the SQL name.
  const property = Object.entries(table).find(([, value]) => value === column)?.[0] ?? column.name;
  return { column, property };
}

type KeyKind = "integer" | "uuid" | "text";
function keyKind(column: PgColumn): KeyKind {
  if (column.dataType === "number" || column.dataType === "bigint") return "integer";
  return column.columnType === "PgUUID" ? "uuid" : "text";
}

/** Largest key a column can hold (and a JS number can carry exactly): larger ones name no row, and PostgreSQL would reject the query. */
const INTEGER_MAX: Readonly<Record<string, number>> = { PgSmallInt: 32_767, PgSmallSerial: 32_767, PgInteger: 2_147_483_647, PgSerial: 2_147_483_647 };

function keyProblem(kind: KeyKind, key: string, column: PgColumn): string | null {
  if (kind === "integer") {
    const max = INTEGER_MAX[column.columnType] ?? Number.MAX_SAFE_INTEGER;
    return INTEGER.test(key) && Number(key) <= max ? null : `expected an integer key from 0 to ${max}`;
  }
  if (kind === "uuid") return UUID.test(key) ? null : "expected a UUID key";
  return key.length > 0 ? null : "expected a non-empty key";
}

/**
 * The channel of one row: `<table name>-<primary key>`. UUIDs are lower-cased so the same row
 * always has the same channel.
 *
 * @example
 * objectChannel(articles, 42)       // "articles-42"
 * objectChannel(jobs, "7D3F…")      // "jobs-7d3f…"
 */
export function objectChannel(table: PgTable, id: string | number): string {
  const { column } = primaryKeyOf(table);
  const kind = keyKind(column);
  const key = kind === "uuid" ? String(id).toLowerCase() : String(id);
  const problem = keyProblem(kind, key, column);
  const name = `${getTableName(table)}-${key}`;
  const nameProblem = problem ?? channelNameProblem(name);
  if (nameProblem) throw new InvalidNotificationError("INVALID_CHANNEL", `Cannot make a channel for ${getTableName(table)} key ${JSON.stringify(id)}: ${nameProblem}.`);
  return name;
}

/**
 * The channel of a row reference (table + id, or table + row).
 *
 * @example
 * rowChannel({ table: articles, id: 42 });       // "articles-42"
 * rowChannel({ table: articles, row: article }); // the same, read from the row's primary key
 */
export function rowChannel(ref: RowRef): string {
  if ("row" in ref) {
    const { property } = primaryKeyOf(ref.table);
    const id = ref.row[property];
    if (typeof id !== "string" && typeof id !== "number") {
      throw new InvalidNotificationError("INVALID_ARGUMENT", `The row has no primary key value in ${JSON.stringify(property)}.`);
    }
    return objectChannel(ref.table, id);
  }
  return objectChannel(ref.table, ref.id);
}

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
    .map((table) => ({ table, prefix: `${getTableName(table)}-` }))
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
