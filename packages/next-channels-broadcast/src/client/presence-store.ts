/**
 * Presence as this tab knows it, outside React: per channel, the last whole `presence` frame with
 * every later `presence_diff` applied. One store per provider (keyed by its API object), fed by a
 * frame listener registered the first time anything asks for presence, and kept for the
 * provider's life, so a component that mounts later still reads the current state.
 *
 * State is dropped when it can no longer be trusted: every channel when a new socket says `hello`
 * (the server sends each held channel's whole presence again), and a channel as soon as a
 * `subscribed` answer shows the socket no longer holds it.
 */
import type { PresenceMember } from "../shared/presence.js";
import type { ServerFrame } from "../shared/protocol.js";

/** What a tab knows of one channel's presence. */
export interface ChannelPresence {
  /** Signed-in users (each once, however many tabs) plus anonymous visitors. */
  count: number;
  /** Listed users, at most the server's cap, the earliest first. */
  members: readonly PresenceMember[];
  /** Some counted users are not listed. */
  more: boolean;
}

export interface PresenceStore {
  /** The channel's presence (the same object until it changes), or null before its first whole frame. */
  get(channel: string): ChannelPresence | null;
  /** Calls `listener` after any change. Returns the remover. */
  subscribe(listener: () => void): () => void;
  /** Applies one server frame (the provider's frame listener calls it). */
  receive(frame: ServerFrame): void;
}

/**
 * Creates an empty store.
 *
 * @example
 * const store = createPresenceStore();
 * store.receive({ type: "presence", channel: "articles-1", count: 1, members: [], more: false });
 * store.get("articles-1")?.count; // 1
 */
export function createPresenceStore(): PresenceStore {
  const channels = new Map<string, { count: number; members: Map<string, PresenceMember>; more: boolean; snapshot: ChannelPresence }>();
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of [...listeners]) listener();
  };
  const snapshotOf = (count: number, members: Map<string, PresenceMember>, more: boolean): ChannelPresence => ({ count, members: [...members.values()], more });

  return {
    get: (channel) => channels.get(channel)?.snapshot ?? null,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    receive(frame) {
      switch (frame.type) {
        case "hello":
          if (channels.size === 0) return;
          channels.clear();
          return changed();
        case "subscribed": {
          const held = new Set(frame.channels);
          let dropped = false;
          for (const name of [...channels.keys()]) {
            if (!held.has(name)) dropped = channels.delete(name) || dropped;
          }
          if (dropped) changed();
          return;
        }
        case "presence": {
          const members = new Map(frame.members.map((member) => [member.key, member]));
          channels.set(frame.channel, { count: frame.count, members, more: frame.more, snapshot: snapshotOf(frame.count, members, frame.more) });
          return changed();
        }
        case "presence_diff": {
          const known = channels.get(frame.channel);
          if (!known) return; // a diff before the whole frame: the whole frame follows
          for (const key of frame.left) known.members.delete(key);
          for (const member of frame.joined) known.members.set(member.key, member);
          known.count = frame.count;
          known.more = frame.more;
          known.snapshot = snapshotOf(known.count, known.members, known.more);
          return changed();
        }
        default:
          return;
      }
    },
  };
}
