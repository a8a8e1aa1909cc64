/**
 * What a newly accepted socket is sent from the store, before its `hello`:
 *
 * 1. its user's pending inbox (unacknowledged, unexpired; oldest first, bounded),
 * 2. when it connected with `?lastId=N`: the non-inbox rows of its groups with an id above N,
 *    created within the recovery window (the newest, bounded),
 * 3. the latest progress of each of its groups.
 *
 * 1 and 2 are merged in id order. Everything goes to that one socket; nothing is published.
 */
import type { NotificationStore } from "./types";

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
  /** Every group the socket is in. */
  groups: Iterable<string>;
  /** Its user's group (`user:<id>`) when it is in one, else null. */
  userGroup: string | null;
  /** The last id the client saw, or null when it did not say. */
  lastId: number | null;
}

/** The frames to send a new socket, serialised, in the order to send them. */
export async function replayFrames(store: NotificationStore, request: ReplayRequest): Promise<string[]> {
  const groups = [...new Set(request.groups)];
  const [inbox, missed, progress] = await Promise.all([
    request.userGroup ? store.pendingInbox(request.userGroup) : [],
    request.lastId !== null ? store.missedSince(groups, request.lastId) : [],
    store.latestProgress(groups),
  ]);
  const rows = [...inbox, ...missed].sort((a, b) => a.id - b.id);
  const unique = rows.filter((row, index) => index === 0 || rows[index - 1]!.id !== row.id);
  return [...unique.map((row) => row.text), ...progress.map((frame) => JSON.stringify(frame))];
}
