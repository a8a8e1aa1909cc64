/**
 * What a socket joining groups is owed by the store (see the gateway's join path, `gateway/join.ts`):
 *
 * 1. its user's pending inbox (unacknowledged, unexpired; oldest first, bounded) — all of it at
 *    connect, only the rows above its position when catching up after a layer outage;
 * 2. when it gave a position: the non-inbox rows of the joined groups with an id above it,
 *    created within the recovery window (the newest, bounded);
 * 3. the latest progress of each joined group, with its version.
 *
 * 1 and 2 are merged in id order. Everything goes to that one socket; nothing is published.
 */
import type { ProgressFrame } from "../../shared/protocol.js";
import type { NotificationStore, StoredNotification } from "./types.js";

/** Name of the connect query parameter carrying the last id a client saw (or a page's watermark). */
export const LAST_ID_PARAM = "lastId";

/**
 * Parses the `lastId` query value: a non-negative safe integer in decimal. Anything else
 * (absent, empty, negative, fractional, huge, garbage) is null: no recovery, no error.
 *
 * @example
 * parseLastId("42")  // 42
 * parseLastId("-1")  // null
 */
export function parseLastId(raw: string | null | undefined): number | null {
  if (typeof raw !== "string" || !/^\d{1,16}$/.test(raw)) return null;
  const value = Number(raw);
  return Number.isSafeInteger(value) ? value : null;
}

export interface ReplayRequest {
  /** The groups being joined. */
  groups: Iterable<string>;
  /** Its user's group (`user:<id>`) when its inbox is owed, else null. */
  userGroup: string | null;
  /** The client's position (the last id it accounted for), or null when it gave none. */
  lastId: number | null;
  /**
   * Send only inbox rows above `lastId`: an outage catch-up (the rest were already delivered),
   * or the next page of a backlog longer than `inboxReplayMax`. Default false.
   */
  inboxAfterLastId?: boolean;
}

/** Rows (in id order) and latest progress owed to a joining socket. */
export interface ReplayBatch {
  rows: StoredNotification[];
  progress: ProgressFrame[];
  /**
   * The id of the last inbox row sent when the inbox filled its page (`inboxReplayMax` rows):
   * more may wait above it, sent once the client acked this page. Null when the page was not full.
   */
  inboxMoreAfter: number | null;
}

/** An empty batch: what a socket gets when there is no store, or the store failed or was too slow. */
export const EMPTY_REPLAY: ReplayBatch = Object.freeze({ rows: [], progress: [], inboxMoreAfter: null }) as ReplayBatch;

/** What the store owes a socket for `request`. */
export async function replayFor(store: NotificationStore, request: ReplayRequest): Promise<ReplayBatch> {
  const groups = [...new Set(request.groups)];
  const { lastId } = request;
  const [inbox, missed, progress] = await Promise.all([
    // Filtered in SQL, not after the limit: a page of the oldest rows could be all below `lastId`.
    request.userGroup ? store.pendingInbox(request.userGroup, request.inboxAfterLastId && lastId !== null ? { afterId: lastId } : {}) : [],
    lastId !== null && groups.length > 0 ? store.missedSince(groups, lastId) : [],
    groups.length > 0 ? store.latestProgress(groups) : [],
  ]);
  const rows = [...inbox, ...missed].sort((a, b) => a.id - b.id);
  const unique = rows.filter((row, index) => index === 0 || rows[index - 1]!.id !== row.id);
  const inboxMoreAfter = inbox.length > 0 && inbox.length >= store.settings.inboxReplayMax ? inbox.at(-1)!.id : null;
  return { rows: unique, progress, inboxMoreAfter };
}
