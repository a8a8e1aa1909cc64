/**
 * The leading tab's side of a shared socket: the one real WebSocket of the browser (per share
 * key), holding the union of every tab's subscriptions and routing each frame to the tabs that
 * want it.
 *
 * Tabs talk to it only through the bus: they join, send client frames (subscribes carry the tab's
 * own refs, prefixed here), and leave. It watches each tab's lifetime lock, so a tab that crashed
 * releases its channels too. Acks go out on this socket, so an item acked in one tab counts for all.
 */
import type { ClientFrame, ServerFrame } from "../../shared/protocol.js";
import { createNotificationSocket } from "../socket.js";
import type { NotificationSocket, NotificationSocketOptions } from "../socket.js";
import { createSubscriptionRegistry } from "../subscriptions.js";
import { readTokenClaims } from "../token-claims.js";
import type { Bus, FromHub } from "./bus.js";
import { holdLock } from "./locks.js";
import type { HeldLock, LockManagerLike } from "./locks.js";
import { createRoutingTable, splitTabRef, tabRef } from "./routing.js";

/** The socket options a hub passes on (everything that is not about one tab's own consumers). */
export type HubSocketOptions = Pick<NotificationSocketOptions, "url" | "WebSocket" | "backoff" | "random" | "settleMs" | "openTimeoutMs" | "ackDelayMs" | "dedupeCapacity">;

export interface HubOptions {
  bus: Bus;
  locks: LockManagerLike;
  /** This (leading) tab's id. */
  self: string;
  /** Names each tab's lifetime lock. */
  tabLockName: (tab: string) => string;
  socket: HubSocketOptions;
  /** The position to connect from: the leading tab's own. */
  lastId: number | null;
}

export interface Hub {
  /** The browser came back online: retry at once if the socket is waiting to reconnect. */
  online(): void;
  /** Stops: tells the tabs, closes the socket, stops watching tabs. */
  stop(): void;
}

/**
 * Starts a hub in the tab that won the leader lock.
 *
 * @example
 * const hub = startHub({ bus, locks: navigator.locks, self: tab, tabLockName, socket: { url }, lastId: 17 });
 * // when the tab hides or the provider unmounts
 * hub.stop();
 */
export function startHub(options: HubOptions): Hub {
  const { bus, self } = options;
  const table = createRoutingTable();
  const watched = new Map<string, HeldLock>();
  /** The last `hello`, for tabs that join after it. */
  let hello: ServerFrame | null = null;
  let channels: readonly string[] = [];
  let stopped = false;

  const post = (message: FromHub) => {
    if (!stopped) bus.post(message);
  };

  const route = (frame: ServerFrame) => {
    if (frame.type === "hello") hello = frame;
    if (frame.type === "subscribed") {
      const owner = splitTabRef(frame.ref);
      if (owner === null) return;
      table.answered(owner.tab, owner.ref, frame.granted);
      post({ kind: "frame", leader: self, to: [owner.tab], frame: { ...frame, ref: owner.ref } });
      return;
    }
    const to = table.recipients(frame);
    if (to.length > 0) post({ kind: "frame", leader: self, to, frame });
  };

  const socket: NotificationSocket = createNotificationSocket({
    ...options.socket,
    lastId: options.lastId,
    // The hub's own registry stays empty: every tab's requests arrive as frames with their refs.
    subscriptions: createSubscriptionRegistry(),
    // The leading tab's own lifecycle decides (it stops the hub at pagehide).
    lifecycle: false,
    onFrame: route,
    onStateChange: (state) => {
      if (state.status !== "open") hello = null;
      post({ kind: "state", leader: self, state });
    },
    onChannelsChange: (next) => {
      channels = next;
      post({ kind: "channels", leader: self, channels: next });
    },
    onClose: ({ code, reason }) => post({ kind: "closed", leader: self, code, reason }),
  });

  const release = (tab: string) => {
    watched.get(tab)?.release();
    watched.delete(tab);
    for (const ref of table.removeTab(tab)) socket.send({ type: "unsubscribe", ref });
  };

  const join = (tab: string) => {
    table.addTab(tab);
    if (tab !== self && !watched.has(tab)) {
      // Granted only once the tab's own lifetime lock is gone: it closed or crashed.
      watched.set(tab, holdLock(options.locks, options.tabLockName(tab), () => release(tab)));
    }
    post({ kind: "state", leader: self, to: [tab], state: socket.getState() });
    post({ kind: "channels", leader: self, to: [tab], channels });
    if (hello !== null) post({ kind: "frame", leader: self, to: [tab], frame: hello });
  };

  const forward = (tab: string, frame: ClientFrame) => {
    if (frame.type === "subscribe" && frame.ref !== undefined) {
      const named = [...(frame.channels ?? []), ...(frame.token === undefined ? [] : readTokenClaims(frame.token).channels)];
      table.subscribing(tab, frame.ref, named);
      socket.send({ ...frame, ref: tabRef(tab, frame.ref) });
      return;
    }
    if (frame.type === "unsubscribe") {
      if (frame.channels !== undefined) table.dropped(frame.channels);
      else if (frame.ref !== undefined) table.released(tab, frame.ref);
      socket.send(frame.ref === undefined ? frame : { ...frame, ref: tabRef(tab, frame.ref) });
      return;
    }
    socket.send(frame);
  };

  const stopListening = bus.listen((message) => {
    switch (message.kind) {
      case "join":
        join(message.tab);
        break;
      case "send":
        // A tab that re-sends right after a hand-over may do so before its join was handled.
        if (!table.tabs().includes(message.tab)) join(message.tab);
        forward(message.tab, message.frame);
        break;
      case "leave":
        release(message.tab);
        break;
      case "reconnect":
        socket.connect();
        break;
      default:
        // Another hub (a leader that was presumed gone) never coexists for long: the lock is exclusive.
        break;
    }
  });

  post({ kind: "leader", leader: self });
  join(self);
  socket.connect();

  return {
    online() {
      if (socket.getState().status === "reconnecting") socket.connect();
    },
    stop() {
      if (stopped) return;
      post({ kind: "resign", leader: self });
      stopped = true;
      stopListening();
      for (const lock of watched.values()) lock.release();
      watched.clear();
      socket.dispose();
    },
  };
}
