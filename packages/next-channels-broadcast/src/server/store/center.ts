/**
 * The notification center's reads and writes on the store: a user's messages (their inbox rows
 * of kind `message`, kept until `keep_until`), listed newest first by id, counted, and moved
 * between states — seen, read, archived — by the user. Every statement is scoped to one user's
 * group, so one user can never touch another's rows; a write naming a row that is not the user's
 * changes nothing at all and says which ids were missing.
 */
import { sql, type SQL } from "drizzle-orm";
import { notifications } from "./schema.js";

import type { CenterChange, CenterFilter } from "../../shared/center.js";

export type { CenterChange, CenterFilter };

/** One row as the center reads it. */
export interface CenterRow {
  id: number;
  /** The stored frame (without id), JSON. */
  frame: string;
  createdAt: Date;
  seenAt: Date | null;
  readAt: Date | null;
  archivedAt: Date | null;
}

/** The center's operations on a store (the Drizzle store has them; `NotificationStore.center`). */
export interface CenterStore {
  /** Up to `limit` rows of `userGroup`, newest first, with an id below `beforeId` when given. */
  list(userGroup: string, options: { filter: CenterFilter; limit: number; beforeId?: number }): Promise<CenterRow[]>;
  /** Unread, unarchived rows of `userGroup`. */
  countUnread(userGroup: string): Promise<number>;
  /**
   * Applies `change` to `ids` (or every row, `"all"`) of `userGroup`, in one statement. When any of
   * `ids` is not a row of that user's center, nothing changes and they come back as `missing`.
   */
  mark(userGroup: string, ids: readonly number[] | "all", change: CenterChange): Promise<{ changed: number; missing: number[] }>;
}

const toDate = (value: unknown): Date | null => (value === null || value === undefined ? null : new Date(value as string));

/**
 * The center's queries over `execute` (the store's raw statement runner) and its clock.
 *
 * @example
 * const center = createCenterStore({ execute, clock });
 * await center.mark("user:42", [17, 18], "read");
 */
export function createCenterStore(context: { execute(query: SQL): Promise<Record<string, unknown>[]>; clock(): Date }): CenterStore {
  const { execute, clock } = context;
  /** The rows of one user's center. */
  const visible = (userGroup: string) =>
    sql`"group" = ${userGroup}::text and "inbox" and "kind" = 'message' and "keep_until" > ${clock().toISOString()}::timestamptz`;

  const setClause = (change: CenterChange, now: string): SQL => {
    switch (change) {
      case "seen":
        return sql`"seen_at" = coalesce("seen_at", ${now}::timestamptz)`;
      case "read":
        return sql`"read_at" = coalesce("read_at", ${now}::timestamptz), "seen_at" = coalesce("seen_at", ${now}::timestamptz)`;
      case "unread":
        return sql`"read_at" = null`;
      case "archived":
        return sql`"archived_at" = coalesce("archived_at", ${now}::timestamptz)`;
      case "unarchived":
        return sql`"archived_at" = null`;
    }
  };

  return {
    async list(userGroup, { filter, limit, beforeId }) {
      const state =
        filter === "archived" ? sql`"archived_at" is not null` : filter === "unread" ? sql`"archived_at" is null and "read_at" is null` : sql`"archived_at" is null`;
      const before = beforeId === undefined ? sql`true` : sql`"id" < ${beforeId}`;
      const rows = await execute(sql`
        select "id", "frame", "created_at", "seen_at", "read_at", "archived_at" from ${notifications}
        where ${visible(userGroup)} and ${state} and ${before}
        order by "id" desc limit ${limit}`);
      return rows.map((row) => ({
        id: Number(row.id),
        frame: String(row.frame),
        createdAt: toDate(row.created_at)!,
        seenAt: toDate(row.seen_at),
        readAt: toDate(row.read_at),
        archivedAt: toDate(row.archived_at),
      }));
    },

    async countUnread(userGroup) {
      const [row] = await execute(sql`
        select count(*)::int as "unread" from ${notifications}
        where ${visible(userGroup)} and "read_at" is null and "archived_at" is null`);
      return Number(row?.unread ?? 0);
    },

    async mark(userGroup, ids, change) {
      const now = clock().toISOString();
      if (ids === "all") {
        const [row] = await execute(sql`
          with changed as (update ${notifications} set ${setClause(change, now)} where ${visible(userGroup)} returning 1)
          select count(*)::int as "changed" from changed`);
        return { changed: Number(row?.changed ?? 0), missing: [] };
      }
      const wanted = [...new Set(ids)];
      if (wanted.length === 0) return { changed: 0, missing: [] };
      // One statement: the rows found among `wanted` are updated only when all of them were found.
      const list = JSON.stringify(wanted);
      const [row] = await execute(sql`
        with found as (
          select "id" from ${notifications}
          where ${visible(userGroup)} and "id" in (select (value)::bigint from jsonb_array_elements_text(${list}::jsonb))
        ),
        changed as (
          update ${notifications} set ${setClause(change, now)}
          where "id" in (select "id" from found) and (select count(*) from found) = ${wanted.length}
          returning 1
        )
        select (select count(*)::int from changed) as "changed", (select coalesce(jsonb_agg("id"), '[]'::jsonb) from found) as "found"`);
      const foundRaw = row?.found;
      const found = new Set((typeof foundRaw === "string" ? (JSON.parse(foundRaw) as unknown[]) : ((foundRaw as unknown[] | undefined) ?? [])).map(Number));
      return { changed: Number(row?.changed ?? 0), missing: wanted.filter((id) => !found.has(id)) };
    },
  };
}
