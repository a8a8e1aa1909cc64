/**
 * The store's three replay reads (`pendingInbox`, `missedSince`, `latestProgress`), batched across
 * sockets and across kinds: reads made while a batch is in flight are answered together by the
 * next one (`coalesceCalls`), and a batch is ONE statement whatever kinds it holds (a `UNION ALL`
 * of one part per kind). A reconnect storm of 1,000 sockets cost ~3,000 statements, one per read
 * per socket, and their round trips were the storm's largest cost on PostgreSQL (bench/REPLAY.md).
 * Batched per kind it cost a few dozen; one statement for all kinds halves that again (a join
 * makes its reads in the same turn, so they land in the same batch). Each statement costs the
 * server a few hundred microseconds of CPU, which is what a storm on one core runs out of
 * (bench/README.md, connect storm). A lone connect still waits for exactly one statement.
 *
 * Inputs are JSON arrays of requests (`jsonb_to_recordset`), so every driver passes them the same
 * way (one text parameter each), and each request keeps its own limit and position through a
 * LATERAL subquery on the same indexes as a single look-up.
 */
import { sql, type SQL } from "drizzle-orm";
import type { ProgressFrame } from "../../shared/protocol.js";
import { coalesceCalls } from "../batching.js";
import type { TurnQueue } from "./in-process-queue.js";
import { notificationProgress, notifications } from "./schema.js";
import type { StoreSettings } from "./settings.js";
import type { NotificationStore, StoredNotification } from "./types.js";

/** Most reads answered by one statement (a join makes up to three). */
const MAX_BATCH = 1_500;

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

/** One read waiting for its batch. */
type Read = { kind: "inbox"; request: InboxRequest } | { kind: "missed"; request: MissedRequest } | { kind: "progress"; groups: string[] };

/** What a read is answered with: stored rows (inbox, missed; in id order) or progress frames. */
type ReadAnswer = StoredNotification[] | ProgressFrame[];

/**
 * Creates the batched replay reads of a Drizzle store.
 *
 * @example
 * const reads = createReplayReads({ execute, clock, settings, toStored, inTurn: (run) => run() });
 * const [alice, bob] = await Promise.all([reads.pendingInbox("user:alice"), reads.pendingInbox("user:bob")]);
 */
export function createReplayReads(context: ReplayReadsContext): ReplayReads {
  const { execute, clock, settings, toStored, inTurn } = context;

  // Every part of the statement yields the same columns: which part ("kind": i = inbox, m<n> =
  // the n-th recovery window, p = progress), the request's position in its part ("ord"), then the
  // row. A part's rows carry nulls where another kind's columns are.

  function inboxPart(requests: InboxRequest[]): SQL {
    const input = JSON.stringify(requests.map((request, ord) => ({ ord, group: request.group, after_id: request.afterId, lim: request.limit })));
    return sql`
      select 'i' as "kind", r."ord", n."id", n."group", n."inbox", n."frame", null::text as "percent", null::bigint as "version"
      from jsonb_to_recordset(${input}::jsonb) as r("ord" int, "group" text, "after_id" bigint, "lim" int)
      cross join lateral (
        select "id", "group", "inbox", "frame" from ${notifications}
        where "group" = r."group" and "inbox" and "acked_at" is null
          and "expires_at" > ${clock().toISOString()}::timestamptz and "id" > r."after_id"
        order by "id" limit r."lim"
      ) as n`;
  }

  /** Requests sharing a recovery window (the window's lower id bound is computed once). */
  function missedPart(kind: string, windowMs: number, requests: MissedRequest[]): SQL {
    const since = new Date(clock().getTime() - windowMs).toISOString();
    const input = JSON.stringify(requests.map((request, ord) => ({ ord, groups: request.groups, after_id: request.afterId, lim: request.limit })));
    // Ids grow with time, so the newest id created before the window bounds the scan from below:
    // found by walking the primary key back through the window only. Without it a stale client
    // (an old or zero lastId) makes the query visit every row of its groups ever stored
    // (measured: ~0.4 s per connect at a million rows when expired rows were not cleaned up).
    return sql`
      select ${kind}::text as "kind", r."ord", n."id", n."group", n."inbox", n."frame", null::text as "percent", null::bigint as "version"
      from jsonb_to_recordset(${input}::jsonb) as r("ord" int, "groups" jsonb, "after_id" bigint, "lim" int)
      cross join lateral (
        select "id", "group", "inbox", "frame" from ${notifications}
        where "group" = any (array(select jsonb_array_elements_text(r."groups")))
          and not "inbox" and "id" > r."after_id"
          and "id" > coalesce((select max("id") from ${notifications} where "created_at" <= ${since}::timestamptz), 0)
          and "created_at" > ${since}::timestamptz
        order by "id" desc limit r."lim"
      ) as n`;
  }

  function progressPart(groups: readonly string[]): SQL {
    const since = new Date(clock().getTime() - settings.inboxRetentionMs).toISOString();
    return sql`
      select 'p' as "kind", null::int as "ord", null::bigint as "id", "group", null::boolean as "inbox", null::text as "frame", "percent", "version"
      from ${notificationProgress}
      where "group" = any (array(select jsonb_array_elements_text(${JSON.stringify(groups)}::jsonb)))
        and "updated_at" > ${since}::timestamptz`;
  }

  const readBatch = coalesceCalls(async (reads: Read[]): Promise<ReadAnswer[]> => {
    const answers: ReadAnswer[] = reads.map(() => []);
    const inbox: { request: InboxRequest; index: number }[] = [];
    const progress: { groups: string[]; index: number }[] = [];
    const windows = new Map<number, { request: MissedRequest; index: number }[]>();
    reads.forEach((read, index) => {
      if (read.kind === "inbox") inbox.push({ request: read.request, index });
      else if (read.kind === "progress") progress.push({ groups: read.groups, index });
      else {
        const part = windows.get(read.request.windowMs);
        if (part) part.push({ request: read.request, index });
        else windows.set(read.request.windowMs, [{ request: read.request, index }]);
      }
    });
    const parts: SQL[] = [];
    /** kind → the batch index of each of its requests, by "ord". */
    const owners = new Map<string, number[]>();
    if (inbox.length > 0) {
      parts.push(inboxPart(inbox.map((entry) => entry.request)));
      owners.set("i", inbox.map((entry) => entry.index));
    }
    [...windows].forEach(([windowMs, part], position) => {
      const kind = `m${position}`;
      parts.push(missedPart(kind, windowMs, part.map((entry) => entry.request)));
      owners.set(kind, part.map((entry) => entry.index));
    });
    if (progress.length > 0) parts.push(progressPart([...new Set(progress.flatMap((entry) => entry.groups))]));
    const rows = await inTurn(() => execute(sql.join(parts, sql` union all `)));

    const latest = new Map<string, ProgressFrame>();
    for (const row of rows) {
      const kind = String(row.kind);
      if (kind === "p") {
        const group = String(row.group);
        latest.set(group, { type: "progress", progress: true, percent: String(row.percent), channel: group, v: Number(row.version) });
        continue;
      }
      const id = Number(row.id);
      if (!isId(id)) throw new Error(`The database returned a stored notification without an id (got ${String(row.id)}).`);
      const owner = owners.get(kind)?.[Number(row.ord)];
      if (owner === undefined) throw new Error(`The database returned a replay row for no request (${kind} #${String(row.ord)}).`);
      (answers[owner] as StoredNotification[]).push(toStored({ id, group: String(row.group), inbox: row.inbox === true, frame: String(row.frame) }));
    }
    // A union has no order of its own: each answer is put in id order here.
    for (const [kind, indexes] of owners) {
      if (kind !== "p") for (const index of indexes) (answers[index] as StoredNotification[]).sort((a, b) => a.id - b.id);
    }
    for (const entry of progress) answers[entry.index] = entry.groups.flatMap((group) => latest.get(group) ?? []);
    return answers;
  }, { maxBatch: MAX_BATCH });

  return {
    async pendingInbox(userGroup, { limit = settings.inboxReplayMax, afterId } = {}) {
      if (limit <= 0) return [];
      return (await readBatch({ kind: "inbox", request: { group: userGroup, afterId: isId(afterId) ? afterId : 0, limit } })) as StoredNotification[];
    },

    async missedSince(groups, afterId, { windowMs = settings.recoveryWindowMs, limit = settings.recoveryMaxMessages } = {}) {
      const list = [...new Set(groups)];
      if (!isId(afterId) || list.length === 0 || windowMs <= 0 || limit <= 0) return [];
      return (await readBatch({ kind: "missed", request: { groups: list, afterId, windowMs, limit } })) as StoredNotification[];
    },

    async latestProgress(groups) {
      const list = [...new Set(groups)];
      if (list.length === 0) return [];
      return (await readBatch({ kind: "progress", groups: list })) as ProgressFrame[];
    },
  };
}
