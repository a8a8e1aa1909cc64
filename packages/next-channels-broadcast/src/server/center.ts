/**
 * The notification center's server API: a user's messages with read / unread / archived states,
 * listed with cursor pagination, counted, and changed — from server components and server actions.
 *
 * Every change is also published to the user's own group as a live `ncb:center` event (its ids,
 * the change and the new unread count), so every other tab and device of that user updates its
 * badge and list at once, through the same layer as notifications (several processes included).
 * The event is live only: a tab that reconnects reloads its count and first page, which is cheaper
 * and exact.
 *
 * Delivery acknowledgements (a tab got the row) are not "read" (a person's action): the two never
 * touch each other.
 */
import { InvalidNotificationError, StoreError, UnknownNotificationError } from "../shared/errors.js";
import { LEVELS, type Level } from "../shared/protocol.js";
import { userIdOf, type UserRef } from "./audience.js";
import { buildEventFrame } from "./payload.js";
import { getRuntime, type NotificationsRuntime } from "./runtime.js";
import { CENTER_EVENT, type CenterChange, type CenterChangeResult, type CenterEventData, type CenterFilter, type CenterItem, type CenterPage } from "../shared/center.js";
import type { CenterRow, CenterStore } from "./store/center.js";

export { CENTER_EVENT };
export type { CenterChange, CenterChangeResult, CenterEventData, CenterFilter, CenterItem, CenterPage };

/** Most items one page may hold. */
export const MAX_CENTER_PAGE = 100;
/** Items per page when not said. */
export const DEFAULT_CENTER_PAGE = 20;

export interface ListNotificationsOptions {
  /** `all` (default: everything not archived), `unread` or `archived`. */
  filter?: CenterFilter;
  /** Items per page, 1 to 100. Default 20. */
  limit?: number;
  /** A page's `nextCursor`. */
  cursor?: string | null;
}

function centerOf(runtime: NotificationsRuntime): CenterStore {
  const center = runtime.store?.center;
  if (!center) throw new StoreError("The notification center needs a store with a center (createDrizzleStore); this runtime has none.");
  return center;
}

function checkIds(ids: unknown, allowAll: boolean): number[] | "all" {
  if (ids === "all" && allowAll) return "all";
  if (!Array.isArray(ids) || ids.length > 1_000 || !ids.every((id) => Number.isSafeInteger(id) && (id as number) >= 0)) {
    throw new InvalidNotificationError("INVALID_ARGUMENT", `Expected ${allowAll ? '"all" or ' : ""}a list of up to 1,000 notification ids (non-negative integers), got ${JSON.stringify(ids)?.slice(0, 100)}.`);
  }
  return ids as number[];
}

/** `c1.<id>`, base64url: opaque to callers, checked on the way back (btoa/atob: no Buffer in edge bundles). */
function encodeCursor(id: number): string {
  return btoa(`c1.${id}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodeCursor(cursor: string): number {
  let text = "";
  try {
    text = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    // not base64: refused below
  }
  const match = /^c1\.(\d{1,16})$/.exec(text);
  const id = match ? Number(match[1]) : Number.NaN;
  if (!Number.isSafeInteger(id)) throw new InvalidNotificationError("INVALID_CURSOR", `Not a cursor from this notification center: ${JSON.stringify(cursor.slice(0, 100))}.`);
  return id;
}

function toItem(row: CenterRow): CenterItem {
  const frame = JSON.parse(row.frame) as { text?: unknown; cssClass?: unknown; clickURL?: unknown };
  return {
    id: row.id,
    text: typeof frame.text === "string" ? frame.text : "",
    level: (LEVELS as readonly unknown[]).includes(frame.cssClass) ? (frame.cssClass as Level) : "info",
    clickURL: typeof frame.clickURL === "string" ? frame.clickURL : null,
    createdAt: row.createdAt.toISOString(),
    seenAt: row.seenAt?.toISOString() ?? null,
    readAt: row.readAt?.toISOString() ?? null,
    archivedAt: row.archivedAt?.toISOString() ?? null,
  };
}

/** The center functions of one instance (the default one's are exported below). */
export interface CenterApi {
  /** A page of the user's notifications, newest first. @example const page = await listNotifications(session.user.id, { filter: "unread" }); */
  listNotifications(user: UserRef, options?: ListNotificationsOptions): Promise<CenterPage>;
  /** The user's unread, unarchived notifications. @example const unread = await countUnread(session.user.id); */
  countUnread(user: UserRef): Promise<number>;
  /** Marks notifications read (and seen). @example await markRead(session.user.id, [17]); await markRead(userId, "all"); */
  markRead(user: UserRef, ids: readonly number[] | "all"): Promise<CenterChangeResult>;
  /** Marks notifications unread again. @example await markUnread(session.user.id, [17]); */
  markUnread(user: UserRef, ids: readonly number[]): Promise<CenterChangeResult>;
  /** Marks notifications seen (shown in a list; still unread). @example await markSeen(session.user.id, "all"); */
  markSeen(user: UserRef, ids: readonly number[] | "all"): Promise<CenterChangeResult>;
  /** Archives notifications (out of the default list and the count). @example await archive(session.user.id, [17]); */
  archive(user: UserRef, ids: readonly number[] | "all"): Promise<CenterChangeResult>;
  /** Brings archived notifications back. @example await unarchive(session.user.id, [17]); */
  unarchive(user: UserRef, ids: readonly number[]): Promise<CenterChangeResult>;
}

/**
 * The center functions bound to `runtimeOf()` (read per call).
 *
 * @example
 * const center = createCenterApi(() => runtime);
 * await center.markRead("42", "all");
 */
export function createCenterApi(runtimeOf: () => NotificationsRuntime): CenterApi {
  async function change(user: UserRef, ids: unknown, kind: CenterChange, allowAll: boolean): Promise<CenterChangeResult> {
    const userId = userIdOf(user);
    const checked = checkIds(ids, allowAll);
    const runtime = runtimeOf();
    const center = centerOf(runtime);
    const group = `user:${userId}`;
    const { changed, missing } = await center.mark(group, checked, kind);
    if (missing.length > 0) throw new UnknownNotificationError(missing);
    const unread = await center.countUnread(group);
    if (runtime.settings.enableAuthenticated) {
      const data: CenterEventData = { change: kind, ids: checked, unread };
      // Live only, straight to the user's group: a failed publish costs other tabs a live update
      // (they reload on reconnect), never the change itself.
      await runtime.layer.publish(group, JSON.stringify(buildEventFrame(CENTER_EVENT, data, group))).catch(() => undefined);
    }
    return { changed, unread };
  }

  return {
    async listNotifications(user, options = {}) {
      const userId = userIdOf(user);
      const filter = options.filter ?? "all";
      if (filter !== "all" && filter !== "unread" && filter !== "archived") throw new InvalidNotificationError("INVALID_ARGUMENT", `filter must be "all", "unread" or "archived", got ${JSON.stringify(filter)}.`);
      const limit = options.limit ?? DEFAULT_CENTER_PAGE;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CENTER_PAGE) throw new InvalidNotificationError("INVALID_ARGUMENT", `limit must be an integer from 1 to ${MAX_CENTER_PAGE}, got ${JSON.stringify(limit)}.`);
      const beforeId = options.cursor === undefined || options.cursor === null ? undefined : decodeCursor(String(options.cursor));
      const center = centerOf(runtimeOf());
      const group = `user:${userId}`;
      // One more than asked: whether a next page exists, without a second query.
      const [rows, unread] = await Promise.all([center.list(group, { filter, limit: limit + 1, beforeId }), center.countUnread(group)]);
      const page = rows.slice(0, limit);
      return { items: page.map(toItem), nextCursor: rows.length > limit ? encodeCursor(page.at(-1)!.id) : null, unread };
    },
    async countUnread(user) {
      return centerOf(runtimeOf()).countUnread(`user:${userIdOf(user)}`);
    },
    markRead: (user, ids) => change(user, ids, "read", true),
    markUnread: (user, ids) => change(user, ids, "unread", false),
    markSeen: (user, ids) => change(user, ids, "seen", true),
    archive: (user, ids) => change(user, ids, "archived", true),
    unarchive: (user, ids) => change(user, ids, "unarchived", false),
  };
}

const defaults = createCenterApi(getRuntime);

/**
 * A page of the user's notifications, newest first, with the unread count. Throws
 * `InvalidNotificationError` (`INVALID_CURSOR`) for a cursor this center did not make.
 *
 * @example
 * const { items, nextCursor, unread } = await listNotifications(session.user.id, { limit: 20 });
 */
export function listNotifications(user: UserRef, options?: ListNotificationsOptions): Promise<CenterPage> {
  return defaults.listNotifications(user, options);
}

/** The user's unread, unarchived notifications. @example const unread = await countUnread(session.user.id); */
export function countUnread(user: UserRef): Promise<number> {
  return defaults.countUnread(user);
}

/**
 * Marks notifications read (and seen): some ids, or `"all"`. Throws `UnknownNotificationError`,
 * changing nothing, when an id is not one of the user's; every tab of the user is told at once.
 *
 * @example
 * await markRead(session.user.id, [17, 18]);
 */
export function markRead(user: UserRef, ids: readonly number[] | "all"): Promise<CenterChangeResult> {
  return defaults.markRead(user, ids);
}

/** Marks notifications unread again. @example await markUnread(session.user.id, [17]); */
export function markUnread(user: UserRef, ids: readonly number[]): Promise<CenterChangeResult> {
  return defaults.markUnread(user, ids);
}

/** Marks notifications seen (shown; still unread). @example await markSeen(session.user.id, "all"); */
export function markSeen(user: UserRef, ids: readonly number[] | "all"): Promise<CenterChangeResult> {
  return defaults.markSeen(user, ids);
}

/** Archives notifications. @example await archive(session.user.id, [17]); */
export function archive(user: UserRef, ids: readonly number[] | "all"): Promise<CenterChangeResult> {
  return defaults.archive(user, ids);
}

/** Brings archived notifications back. @example await unarchive(session.user.id, [17]); */
export function unarchive(user: UserRef, ids: readonly number[]): Promise<CenterChangeResult> {
  return defaults.unarchive(user, ids);
}
