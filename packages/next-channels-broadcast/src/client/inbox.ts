"use client";
/**
 * `useInbox()`: the notification center in the browser. Seeded with the first page the server
 * rendered (no loading flash, no second request), kept live by the tab's socket — a new message
 * for the user is added at the top and counted, and the `ncb:center` event another tab or device
 * causes applies here at once — and resynced from the server when the socket comes back after a
 * drop (what changed meanwhile was not replayed).
 *
 * The kit cannot own an app's server actions, so the app hands them in (`actions`): thin
 * wrappers of `listNotifications`, `markRead` and `archive` for the signed-in user.
 */
import { useCallback, useEffect, useEffectEvent, useRef, useState } from "react";
import { CENTER_EVENT, type CenterChangeResult, type CenterEventData, type CenterItem, type CenterPage } from "../shared/center.js";
import type { ServerFrame } from "../shared/protocol.js";
import { useNotificationsApiContext, useNotificationsStateContext } from "./context.js";
import type { ConnectionState } from "./socket.js";

/** The app's server actions the inbox calls (each for the signed-in user only). */
export interface InboxActions {
  /** `listNotifications(user, { cursor })`. */
  list(cursor: string | null): Promise<CenterPage>;
  /** `markRead(user, ids)`; `"all"` for every notification. */
  markRead(ids: number[] | "all"): Promise<CenterChangeResult>;
  /** `archive(user, ids)`. */
  archive(ids: number[]): Promise<CenterChangeResult>;
}

export interface UseInboxOptions {
  /** The first page, rendered by the server (`await listNotifications(userId)`). */
  initial: CenterPage;
  actions: InboxActions;
}

export interface Inbox {
  items: readonly CenterItem[];
  unread: number;
  /** True while more pages wait on the server. */
  hasMore: boolean;
  /** True while a page or a change is being fetched. */
  busy: boolean;
  /** The last action's error, until the next one succeeds. */
  error: Error | null;
  /** The socket's state (live updates flow while it is open). */
  connection: ConnectionState;
  loadMore(): Promise<void>;
  markRead(ids: number[]): Promise<void>;
  markAllRead(): Promise<void>;
  archive(ids: number[]): Promise<void>;
}

/** A stored user message frame as the center lists it (the frame that asked for an ack is one). */
function itemOf(frame: ServerFrame): CenterItem | null {
  if (frame.type !== "message" || frame.id === undefined || frame.ack !== true) return null;
  return { id: frame.id, text: frame.text, level: frame.cssClass, clickURL: frame.clickURL, createdAt: new Date().toISOString(), seenAt: null, readAt: null, archivedAt: null };
}

/** `items` with a center change applied (the server already applied it; this is the view). */
export function applyCenterChange(items: readonly CenterItem[], data: CenterEventData, at = new Date().toISOString()): CenterItem[] {
  const touched = (item: CenterItem) => data.ids === "all" || data.ids.includes(item.id);
  const next = items.map((item) => {
    if (!touched(item)) return item;
    switch (data.change) {
      case "read":
        return { ...item, readAt: item.readAt ?? at, seenAt: item.seenAt ?? at };
      case "unread":
        return { ...item, readAt: null };
      case "seen":
        return { ...item, seenAt: item.seenAt ?? at };
      case "archived":
        return { ...item, archivedAt: item.archivedAt ?? at };
      case "unarchived":
        return { ...item, archivedAt: null };
    }
  });
  return next.filter((item) => item.archivedAt === null);
}

/**
 * The user's notification center, live.
 *
 * @example
 * const inbox = useInbox({ initial, actions: { list: loadInbox, markRead: markInboxRead, archive: archiveInbox } });
 * return <NotificationBell unread={inbox.unread} />;
 */
export function useInbox({ initial, actions }: UseInboxOptions): Inbox {
  const api = useNotificationsApiContext("useInbox");
  const { connection } = useNotificationsStateContext("useInbox");
  const [items, setItems] = useState<CenterItem[]>(initial.items);
  const [unread, setUnread] = useState(initial.unread);
  const [cursor, setCursor] = useState<string | null>(initial.nextCursor);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  // The latest actions, without making them a reason to re-subscribe (inline functions are fine).
  const actionsRef = useRef(actions);
  useEffect(() => {
    actionsRef.current = actions;
  });

  const onFrame = useEffectEvent((frame: ServerFrame) => {
    const item = itemOf(frame);
    if (item) {
      setItems((previous) => (previous.some((existing) => existing.id === item.id) ? previous : [item, ...previous]));
      // A replayed row this tab already listed is not counted twice: the server's count rules.
      setUnread((count) => (items.some((existing) => existing.id === item.id) ? count : count + 1));
      return;
    }
    if (frame.type === "event" && frame.event === CENTER_EVENT) {
      const data = frame.data as CenterEventData;
      setItems((previous) => applyCenterChange(previous, data));
      setUnread(data.unread);
    }
  });
  useEffect(() => api.addFrameListener((frame) => onFrame(frame)), [api]);

  const run = useCallback(async <T,>(work: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    try {
      const result = await work();
      setError(null);
      return result;
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);

  /** Runs one of the app's change actions and applies its result here (other tabs hear it live). */
  const change = async (kind: CenterEventData["change"], ids: CenterEventData["ids"], action: () => Promise<CenterChangeResult>) => {
    const result = await run(action);
    if (!result) return;
    setItems((previous) => applyCenterChange(previous, { change: kind, ids, unread: result.unread }));
    setUnread(result.unread);
  };

  // Back from a drop: changes made elsewhere meanwhile were not replayed; reload the first page.
  // Not on the first open: the server rendered `initial` just before it.
  const everOpen = useRef(false);
  const lastStatus = useRef(connection.status);
  const resync = useEffectEvent(() => {
    void run(async () => {
      const page = await actionsRef.current.list(null);
      setItems(page.items);
      setUnread(page.unread);
      setCursor(page.nextCursor);
    });
  });
  useEffect(() => {
    const previous = lastStatus.current;
    lastStatus.current = connection.status;
    if (connection.status !== "open") return;
    if (everOpen.current && previous !== "open") resync();
    everOpen.current = true;
  }, [connection.status]);

  return {
    items,
    unread,
    hasMore: cursor !== null,
    busy,
    error,
    connection,
    async loadMore() {
      if (cursor === null) return;
      await run(async () => {
        const page = await actionsRef.current.list(cursor);
        setItems((previous) => [...previous, ...page.items.filter((item) => !previous.some((existing) => existing.id === item.id))]);
        setUnread(page.unread);
        setCursor(page.nextCursor);
      });
    },
    markRead: (ids) => change("read", ids, () => actionsRef.current.markRead(ids)),
    markAllRead: () => change("read", "all", () => actionsRef.current.markRead("all")),
    archive: (ids) => change("archived", ids, () => actionsRef.current.archive(ids)),
  };
}
