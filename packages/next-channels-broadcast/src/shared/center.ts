/**
 * The notification center's shapes, shared by the server API (`server/center.ts`) and the
 * browser (`client/inbox.ts`): what a page of notifications looks like, what a change answers,
 * and the live `ncb:center` event every tab of the user receives after a change.
 */
import type { Level } from "./protocol.js";

/** The event name of center changes on the user's group (reserved: `ncb:` is the kit's). */
export const CENTER_EVENT = "ncb:center";

/** Which of a user's notifications a list shows. */
export type CenterFilter = "all" | "unread" | "archived";
/** A change a user makes to notifications. */
export type CenterChange = "seen" | "read" | "unread" | "archived" | "unarchived";

/** One notification as the center shows it. Dates are ISO 8601 strings (they cross to the browser). */
export interface CenterItem {
  id: number;
  text: string;
  level: Level;
  clickURL: string | null;
  createdAt: string;
  seenAt: string | null;
  readAt: string | null;
  archivedAt: string | null;
}

/** A page of a user's notifications. */
export interface CenterPage {
  items: CenterItem[];
  /** Pass as `cursor` for the next page; null when this was the last. */
  nextCursor: string | null;
  /** The user's unread, unarchived notifications (all of them, not only this page's). */
  unread: number;
}

/** What a change did: how many rows changed, and the user's unread count after it. */
export interface CenterChangeResult {
  changed: number;
  unread: number;
}

/** The `ncb:center` event's data. */
export interface CenterEventData {
  change: CenterChange;
  ids: number[] | "all";
  unread: number;
}
