/**
 * The store's three replay reads (`pendingInbox`, `missedSince`, `latestProgress`), batched across
 * sockets: calls made while a read is in flight are answered together by one statement
 * (`coalesceCalls`). A reconnect storm of 1,000 sockets cost ~3,000 statements, one per read per
 * socket, and their round trips were the storm's largest cost on PostgreSQL (bench/REPLAY.md);
 * batched, it costs a few dozen. A lone connect still waits for exactly one statement per read.
 *
 * Each batch is one SQL statement whose inputs are a JSON array of requests
 * (`jsonb_to_recordset`), so every driver passes it the same way (one text parameter), and each
 * request keeps its own limit and position through a LATERAL subquery on the same indexes as a
 * single look-up.
 */
import { sql, type SQL } from "drizzle-orm";
import type { ProgressFrame } from "../../shared/protocol.js";
import { coalesceCalls } from "../batching.js";
import type { TurnQueue } from "./in-process-queue.js";
import { notificationProgress, notifications } from "./schema.js";
import type { StoreSettings } from "./settings.js";
import type { NotificationStore, StoredNotification } from "./types.js";

/** Most requests answered by one statement. */
const MAX_BATCH = 500;

export interface ReplayReadsContext {
  execute(query: SQL): Promise<Record<string, unknown>[]>;
  clock(): Date;
  settings: StoreSettings;
  toStored(row: { id: number; group: string; inbox: boolean; frame: string }): StoredNotification;
  /** Where each statement runs: in turn with the store's other operations (PGlite), or at once. */
  inTurn: TurnQueue;
}

type ReplayReads = Pick<NotificationStore, "pendingInbox" | "missedSince" | "latestProgress">;

interface InboxRequest {
  group: string;
  afterId: number;
  limit: number;
}

interface MissedRequest {
  groups: string[];
  afterId: number;
  windowMs: number;
  limit: number;
}

function isId(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** Splits `items` into runs sharing `keyOf`, keeping each item's index. */
function partition<T>(items: readonly T[], keyOf: (item: T) => string | number): Map<string | number, { item: T; index: number }[]> {
  const parts = new Map<string | number, { item: T; index: number }[]>();
  items.forEach((item, index) => {
    const key = keyOf(item);
    const part = parts.get(key);
    if (part) part.push({ item, index });
    else parts.set(key, [{ item, index }]);
  });
  return parts;
}

/**
 * Creates the batched replay reads of a Drizzle store.
 *
 * @example
 * const reads = createReplayReads({ execute, clock, settings, toStored, inTurn: (run) => run() });
 * const [alice, bob] = await Promise.all([reads.pendingInbox("user:alice"), reads.pendingInbox("user:bob")]);
 */
export function createReplayReads(context: ReplayReadsContext): ReplayReads {
  const { execute, clock, settings, toStored, inTurn } = context;

  /** Rows of a batched statement, grouped by the request's position (`ord`, 0-based). */
  function byRequest(rows: Record<string, unknown>[], count: number): StoredNotification[][] {
    const answers: StoredNotification[][] = Array.from({ length: count }, () => []);
    for (const row of rows) {
      const id = Number(row.id);
      if (!isId(id)) throw new Error(`The database returned a stored notification without an id (got ${String(row.id)}).`);
      answers[Number(row.ord)]!.push(toStored({ id, group: String(row.group), inbox: row.inbox === true, frame: String(row.frame) }));
    }
    return answers;
  }

  const inboxBatch = coalesceCalls(async (requests: InboxRequest[]) => {
    const input = JSON.stringify(requests.map((request, ord) => ({ ord, group: request.group, after_id: request.afterId, lim: request.limit })));
    const rows = await inTurn(() =>
      execute(sql`
        select r."ord", n."id", n."group", n."inbox", n."frame"
        from jsonb_to_recordset(${input}::jsonb) as r("ord" int, "group" text, "after_id" bigint, "lim" int)
        cross join lateral (
          select "id", "group", "inbox", "frame" from ${notifications}
          where "group" = r."group" and "inbox" and "acked_at" is null
            and "expires_at" > ${clock().toISOString()}::timestamptz and "id" > r."after_id"
          order by "id" limit r."lim"
        ) as n
        order by r."ord", n."id"`),
    );
    return byRequest(rows, requests.length);
  }, { maxBatch: MAX_BATCH });

  /** One statement for requests sharing a recovery window (the window's lower id bound is computed once). */
  async function missedWithin(windowMs: number, requests: MissedRequest[]): Promise<StoredNotification[][]> {
    const since = new Date(clock().getTime() - windowMs).toISOString();
    const input = JSON.stringify(requests.map((request, ord) => ({ ord, groups: request.groups, after_id: request.afterId, lim: request.limit })));
    // Ids grow with time, so the newest id created before the window bounds the scan from below:
    // found by walking the primary key back through the window only. Without it a stale client
    // (an old or zero lastId) makes the query visit every row of its groups ever stored
    // (measured: ~0.4 s per connect at a million rows when expired rows were not cleaned up).
    const rows = await inTurn(() =>
      execute(sql`
        select r."ord", n."id", n."group", n."inbox", n."frame"
        from jsonb_to_recordset(${input}::jsonb) as r("ord" int, "groups" jsonb, "after_id" bigint, "lim" int)
        cross join lateral (
          select "id", "group", "inbox", "frame" from ${notifications}
          where "group" = any (array(select jsonb_array_elements_text(r."groups")))
            and not "inbox" and "id" > r."after_id"
            and "id" > coalesce((select max("id") from ${notifications} where "created_at" <= ${since}::timestamptz), 0)
            and "created_at" > ${since}::timestamptz
          order by "id" desc limit r."lim"
        ) as n
        order by r."ord", n."id"`),
    );
    return byRequest(rows, requests.length);
  }

  const missedBatch = coalesceCalls(async (requests: MissedRequest[]) => {
    const answers: StoredNotification[][] = new Array(requests.length);
    const windows = partition(requests, (request) => request.windowMs);
    await Promise.all(
      [...windows].map(async ([windowMs, part]) => {
        const found = await missedWithin(windowMs as number, part.map((entry) => entry.item));
        part.forEach((entry, position) => (answers[entry.index] = found[position]!));
      }),
    );
    return answers;
  }, { maxBatch: MAX_BATCH });

  const progressBatch = coalesceCalls(async (requests: string[][]) => {
    const all = JSON.stringify([...new Set(requests.flat())]);
    const since = new Date(clock().getTime() - settings.inboxRetentionMs).toISOString();
    const rows = await inTurn(() =>
      execute(sql`
        select "group", "percent", "version" from ${notificationProgress}
        where "group" = any (array(select jsonb_array_elements_text(${all}::jsonb)))
          and "updated_at" > ${since}::timestamptz`),
    );
    const latest = new Map<string, ProgressFrame>();
    for (const row of rows) {
      const group = String(row.group);
      latest.set(group, { type: "progress", progress: true, percent: String(row.percent), channel: group, v: Number(row.version) });
    }
    return requests.map((groups) => groups.flatMap((group) => latest.get(group) ?? []));
  }, { maxBatch: MAX_BATCH });

  return {
    async pendingInbox(userGroup, { limit = settings.inboxReplayMax, afterId } = {}) {
      if (limit <= 0) return [];
      return inboxBatch({ group: userGroup, afterId: isId(afterId) ? afterId : 0, limit });
    },

    async missedSince(groups, afterId, { windowMs = settings.recoveryWindowMs, limit = settings.recoveryMaxMessages } = {}) {
      const list = [...new Set(groups)];
      if (!isId(afterId) || list.length === 0 || windowMs <= 0 || limit <= 0) return [];
      return missedBatch({ groups: list, afterId, windowMs, limit });
    },

    async latestProgress(groups) {
      const list = [...new Set(groups)];
      if (list.length === 0) return [];
      return progressBatch(list);
    },
  };
}
