"use client";
/**
 * Presence in React: `usePresence(channel)` (who is on a channel this tab holds) and
 * `<PresenceBadge>` ("3 viewing" with initials). The channel must be held by the tab (e.g. through
 * `<ChannelSubscription>`) and have presence on the server (`createGateway({ presence })`).
 */
import { useCallback, useSyncExternalStore } from "react";
import type { ReactNode } from "react";
import type { PresenceMember } from "../shared/presence.js";
import type { NotificationsApi } from "./context.js";
import { useNotificationsApiContext, useNotificationsStateContext } from "./context.js";
import { createPresenceStore } from "./presence-store.js";
import type { PresenceStore } from "./presence-store.js";

const stores = new WeakMap<NotificationsApi, PresenceStore>();

/** The provider's presence store, created (and fed) on first use. */
function presenceStoreFor(api: NotificationsApi): PresenceStore {
  let store = stores.get(api);
  if (!store) {
    const created = createPresenceStore();
    api.addFrameListener((frame) => created.receive(frame));
    stores.set(api, created);
    store = created;
  }
  return store;
}

/** What `usePresence` returns. */
export interface PresenceState {
  /** Listed users (their `key` and the profile the server's `identify` gave), the earliest first. */
  members: readonly PresenceMember[];
  /** Everyone on the channel: signed-in users once each, plus anonymous visitors. */
  count: number;
  /** Some counted users are not listed (the server's cap). */
  more: boolean;
  /** True once this tab's open socket has the channel's presence; members and count are empty until then. */
  connected: boolean;
}

const NOT_CONNECTED: PresenceState = Object.freeze({ members: Object.freeze([]) as readonly PresenceMember[], count: 0, more: false, connected: false });

/**
 * Who is on `channel`, live. Empty (`connected: false`) until the server sent its presence, and
 * again while the socket is not open.
 *
 * @example
 * const { count, members, connected } = usePresence("articles-1");
 * return connected ? <span>{count} reading</span> : null;
 */
export function usePresence(channel: string): PresenceState {
  const api = useNotificationsApiContext("usePresence");
  const { connection } = useNotificationsStateContext("usePresence");
  const store = presenceStoreFor(api);
  const subscribe = useCallback((listener: () => void) => store.subscribe(listener), [store]);
  const get = useCallback(() => store.get(channel), [store, channel]);
  const presence = useSyncExternalStore(subscribe, get, () => null);
  if (presence === null || connection.status !== "open") return NOT_CONNECTED;
  return { members: presence.members, count: presence.count, more: presence.more, connected: true };
}

/**
 * Up to two initials of a profile's `name` (e.g. "Ada Lovelace" → "AL"); "?" without one.
 *
 * @example
 * initialsOf({ key: "k", profile: { name: "Ada Lovelace" } }); // "AL"
 */
export function initialsOf(member: PresenceMember): string {
  const name = typeof member.profile.name === "string" ? member.profile.name.trim() : "";
  const letters = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => Array.from(word)[0]!.toUpperCase());
  return letters.length > 0 ? letters.join("") : "?";
}

export interface PresenceBadgeProps {
  channel: string;
  /** The word after the count. Default "viewing". */
  label?: string;
  /** Initials shown at most; the rest are in the count. Default 5. */
  maxAvatars?: number;
  /** Draws one member (default: their initials in a circle, their name as its title). Rendered as React nodes: never HTML. */
  renderMember?: (member: PresenceMember) => ReactNode;
  className?: string;
}

/**
 * "3 viewing" with the listed members' initials, for a channel the tab holds. Renders nothing
 * until the presence arrives.
 *
 * @example
 * <PresenceBadge channel={objectChannel(articles, id)} label="reading" />
 */
export function PresenceBadge({ channel, label = "viewing", maxAvatars = 5, renderMember, className }: PresenceBadgeProps) {
  const { members, count, connected } = usePresence(channel);
  if (!connected) return null;
  const shown = members.slice(0, maxAvatars);
  return (
    <div className={className ?? "ncb-presence"} data-testid="presence" data-channel={channel} data-count={count} role="status" aria-label={`${count} ${label}`}>
      <ul style={{ display: "inline-flex", gap: 4, listStyle: "none", margin: 0, padding: 0 }}>
        {shown.map((member) => (
          <li key={member.key} data-testid="presence-member" title={typeof member.profile.name === "string" ? member.profile.name : undefined}>
            {renderMember ? (
              renderMember(member)
            ) : (
              <span
                aria-hidden="true"
                style={{ display: "inline-flex", alignItems: "center", justifyContent: "center", width: 28, height: 28, borderRadius: "50%", background: "#e0e7ff", color: "#3730a3", fontSize: 12, fontWeight: 600 }}
              >
                {initialsOf(member)}
              </span>
            )}
          </li>
        ))}
      </ul>{" "}
      <span data-testid="presence-count">
        {count} {label}
      </span>
    </div>
  );
}
