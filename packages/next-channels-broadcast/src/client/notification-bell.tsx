"use client";
/**
 * The notification center's ready components: a bell button whose accessible name carries the
 * count ("Notifications, 3 unread"), and a panel listing the items with read/unread styling,
 * "Mark all as read" and per-item actions. Plain buttons and lists, so they are keyboard
 * accessible as they are; restyle with `classNames`, or replace an item with `renderItem`.
 * Text is rendered as text, never as HTML.
 */
import type { ReactNode } from "react";
import type { CenterItem } from "../shared/center.js";
import type { Inbox } from "./inbox.js";

export interface NotificationBellProps {
  unread: number;
  onClick?: () => void;
  /** Whether the panel it opens is open (`aria-expanded`). */
  expanded?: boolean;
  /** The id of the panel it controls (`aria-controls`). */
  controls?: string;
  className?: string;
  /** What the button shows; default a bell and the count. */
  children?: ReactNode;
}

/**
 * "Notifications, 3 unread" for screen readers; a bell and a badge for eyes.
 *
 * @example
 * <NotificationBell unread={inbox.unread} onClick={() => setOpen(!open)} expanded={open} controls="inbox-panel" />
 */
export function NotificationBell({ unread, onClick, expanded, controls, className, children }: NotificationBellProps) {
  const label = unread === 0 ? "Notifications, none unread" : `Notifications, ${unread} unread`;
  return (
    <button type="button" className={className} aria-label={label} aria-expanded={expanded} aria-controls={controls} onClick={onClick} data-testid="notification-bell" data-unread={unread}>
      {children ?? (
        <>
          <span aria-hidden="true">🔔</span>
          {unread > 0 ? (
            <span aria-hidden="true" data-testid="notification-badge">
              {unread > 99 ? "99+" : unread}
            </span>
          ) : null}
        </>
      )}
    </button>
  );
}

export interface NotificationPanelClassNames {
  panel?: string;
  list?: string;
  item?: string;
  unread?: string;
  actions?: string;
}

export interface NotificationPanelProps {
  inbox: Inbox;
  id?: string;
  classNames?: NotificationPanelClassNames;
  /** Renders one item instead of the default (text, time, "Mark as read", "Archive"). */
  renderItem?: (item: CenterItem, inbox: Inbox) => ReactNode;
  /** Shown when there is nothing. Default "No notifications". */
  empty?: ReactNode;
}

function DefaultItem({ item, inbox }: { item: CenterItem; inbox: Inbox }) {
  return (
    <>
      <p>{item.clickURL ? <a href={item.clickURL}>{item.text}</a> : item.text}</p>
      <time dateTime={item.createdAt}>{new Date(item.createdAt).toLocaleString()}</time>
      {item.readAt === null ? (
        <button type="button" onClick={() => void inbox.markRead([item.id])}>
          Mark as read
        </button>
      ) : null}
      <button type="button" onClick={() => void inbox.archive([item.id])}>
        Archive
      </button>
    </>
  );
}

/**
 * The list of a user's notifications, with "Mark all as read" and "Load more".
 *
 * @example
 * {open ? <NotificationPanel id="inbox-panel" inbox={inbox} /> : null}
 */
export function NotificationPanel({ inbox, id, classNames = {}, renderItem, empty = "No notifications" }: NotificationPanelProps) {
  return (
    <section id={id} className={classNames.panel} aria-label="Notifications" data-testid="notification-panel">
      <div className={classNames.actions}>
        <button type="button" onClick={() => void inbox.markAllRead()} disabled={inbox.unread === 0 || inbox.busy}>
          Mark all as read
        </button>
      </div>
      {inbox.items.length === 0 ? (
        <p>{empty}</p>
      ) : (
        <ul className={classNames.list}>
          {inbox.items.map((item) => (
            <li
              key={item.id}
              className={[classNames.item, item.readAt === null ? classNames.unread : undefined].filter(Boolean).join(" ") || undefined}
              data-testid="notification-item"
              data-read={String(item.readAt !== null)}
            >
              {renderItem ? renderItem(item, inbox) : <DefaultItem item={item} inbox={inbox} />}
            </li>
          ))}
        </ul>
      )}
      {inbox.hasMore ? (
        <button type="button" onClick={() => void inbox.loadMore()} disabled={inbox.busy}>
          Load more
        </button>
      ) : null}
      {inbox.error ? <p role="alert">{inbox.error.message}</p> : null}
    </section>
  );
}
