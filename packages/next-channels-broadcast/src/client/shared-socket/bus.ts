/**
 * The messages tabs sharing one socket exchange, and how they travel: a `BroadcastChannel` to the
 * other tabs, and a direct hand-off inside the tab (a channel does not deliver to its own sender,
 * and the leading tab is also a receiving tab of its own socket).
 */
import type { ClientFrame, ServerFrame } from "../../shared/protocol.js";
import type { ConnectionState } from "../socket.js";

/** Tab → every other tab: this tab's user changed (signed out or in): the others' layouts are stale. */
export type SessionEnded = { kind: "session-ended"; tab: string };

/** Tab → the leading tab's hub. */
export type ToHub =
  | { kind: "join"; tab: string }
  | { kind: "send"; tab: string; frame: ClientFrame }
  | { kind: "leave"; tab: string }
  | { kind: "reconnect"; tab: string };

/** The leading tab's hub → tabs. `to` names the receiving tabs; absent: every tab. */
export type FromHub =
  | { kind: "leader"; leader: string }
  | { kind: "state"; leader: string; to?: string[]; state: ConnectionState }
  | { kind: "channels"; leader: string; to?: string[]; channels: readonly string[] }
  | { kind: "frame"; leader: string; to?: string[]; frame: ServerFrame }
  | { kind: "closed"; leader: string; code: number; reason: string }
  | { kind: "resign"; leader: string };

export type BusMessage = ToHub | FromHub | SessionEnded;

export interface Bus {
  post(message: BusMessage): void;
  /** Calls `listener` with every message posted by any tab sharing the bus, this one included. */
  listen(listener: (message: BusMessage) => void): () => void;
  close(): void;
}

/** The part of `BroadcastChannel` used; the browser's by default. */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  close(): void;
}
export type BroadcastChannelConstructor = new (name: string) => BroadcastChannelLike;

const KINDS = new Set(["session-ended", "join", "send", "leave", "reconnect", "leader", "state", "channels", "frame", "closed", "resign"]);

function isBusMessage(value: unknown): value is BusMessage {
  return typeof value === "object" && value !== null && KINDS.has((value as { kind?: unknown }).kind as string);
}

/**
 * Opens the bus named `name` (one per share key).
 *
 * @example
 * const bus = openBus("ncb:/ws/notifications:7", BroadcastChannel);
 * const stop = bus.listen((message) => console.log(message.kind));
 * bus.post({ kind: "join", tab: "k3v9x2" });
 */
export function openBus(name: string, Channel: BroadcastChannelConstructor): Bus {
  const channel = new Channel(name);
  const listeners = new Set<(message: BusMessage) => void>();
  let closed = false;
  const dispatch = (message: BusMessage) => {
    for (const listener of [...listeners]) {
      try {
        listener(message);
      } catch (error) {
        console.error("[notifications] shared socket listener threw", error);
      }
    }
  };
  // Only tabs of the same origin can post here; still, nothing but well-formed messages is passed on.
  channel.onmessage = (event) => {
    if (!closed && isBusMessage(event.data)) dispatch(event.data);
  };
  return {
    post(message) {
      if (closed) return;
      channel.postMessage(message);
      // Later, never re-entrant: a hub answering its own tab must not run inside the caller.
      queueMicrotask(() => {
        if (!closed) dispatch(message);
      });
    },
    listen(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    close() {
      closed = true;
      listeners.clear();
      channel.onmessage = null;
      channel.close();
    },
  };
}
