/**
 * Per-row channels: a database row's page channel is `<table>-<primary key>`, built from a
 * Drizzle table. (Turning a name back into the row, which queries the database, is
 * `findObjectByChannel` in `next-channels-broadcast/drizzle`.)
 *
 * The table is read through the symbols Drizzle puts on every table (its name, its columns, its
 * extra config), not through drizzle-orm's own functions: `next-channels-broadcast/server` must
 * load in an app that does not install drizzle-orm at all.
 */
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import { channelNameProblem } from "../shared/channels.js";
import { InvalidNotificationError } from "../shared/errors.js";

const DRIZZLE_NAME = Symbol.for("drizzle:Name");
const DRIZZLE_COLUMNS = Symbol.for("drizzle:Columns");
const DRIZZLE_EXTRA_CONFIG_BUILDER = Symbol.for("drizzle:ExtraConfigBuilder");
const DRIZZLE_EXTRA_CONFIG_COLUMNS = Symbol.for("drizzle:ExtraConfigColumns");
const DRIZZLE_ENTITY_KIND = Symbol.for("drizzle:entityKind");

type DrizzleTableInternals = Record<symbol, unknown>;

/** The SQL name of a Drizzle table (what `getTableName` answers). */
export function tableNameOf(table: PgTable): string {
  const name = (table as unknown as DrizzleTableInternals)[DRIZZLE_NAME];
  if (typeof name !== "string") throw new InvalidNotificationError("INVALID_ARGUMENT", "Expected a Drizzle table (pgTable(…)).");
  return name;
}

/** Whether the table declares a composite primary key (`primaryKey({ columns })` in its extra config). */
function hasCompositePrimaryKey(table: PgTable): boolean {
  const internals = table as unknown as DrizzleTableInternals;
  const builder = internals[DRIZZLE_EXTRA_CONFIG_BUILDER];
  if (typeof builder !== "function") return false;
  const config = (builder as (columns: unknown) => unknown)(internals[DRIZZLE_EXTRA_CONFIG_COLUMNS]);
  const entries = Array.isArray(config) ? config.flat(1) : Object.values(config ?? {});
  return entries.some((entry) => (entry as { constructor?: Record<symbol, unknown> } | null)?.constructor?.[DRIZZLE_ENTITY_KIND] === "PgPrimaryKeyBuilder");
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INTEGER = /^(0|[1-9][0-9]{0,15})$/;

/** A row given by its table and key, or by its table and the row itself. */
export type RowRef<T extends PgTable = PgTable> = { table: T; id: string | number } | { table: T; row: Record<string, unknown> };

/** The single-column primary key of `table` and the row property that holds it. */
export function primaryKeyOf(table: PgTable): { column: PgColumn; property: string } {
  const name = tableNameOf(table);
  const all = Object.values(((table as unknown as DrizzleTableInternals)[DRIZZLE_COLUMNS] ?? {}) as Record<string, PgColumn>);
  const columns = all.filter((column) => column.primary);
  if (columns.length !== 1 || hasCompositePrimaryKey(table)) {
    throw new InvalidNotificationError("INVALID_ARGUMENT", `Table ${name} needs a single-column primary key to have per-row channels.`);
  }
  const column = columns[0]!;
  // The row object is keyed by the TypeScript property name, which may differ from the SQL name.
  const property = Object.entries(table).find(([, value]) => value === column)?.[0] ?? column.name;
  return { column, property };
}

export type KeyKind = "integer" | "uuid" | "text";
export function keyKind(column: PgColumn): KeyKind {
  if (column.dataType === "number" || column.dataType === "bigint") return "integer";
  return column.columnType === "PgUUID" ? "uuid" : "text";
}

/** Largest key a column can hold (and a JS number can carry exactly): larger ones name no row, and PostgreSQL would reject the query. */
const INTEGER_MAX: Readonly<Record<string, number>> = { PgSmallInt: 32_767, PgSmallSerial: 32_767, PgInteger: 2_147_483_647, PgSerial: 2_147_483_647 };

export function keyProblem(kind: KeyKind, key: string, column: PgColumn): string | null {
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
  const name = `${tableNameOf(table)}-${key}`;
  const nameProblem = problem ?? channelNameProblem(name);
  if (nameProblem) throw new InvalidNotificationError("INVALID_CHANNEL", `Cannot make a channel for ${tableNameOf(table)} key ${JSON.stringify(id)}: ${nameProblem}.`);
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

