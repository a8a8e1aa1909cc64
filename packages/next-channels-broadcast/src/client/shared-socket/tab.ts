/**
 * One socket per browser: the tabs of a browser (per share key: the gateway path and the user)
 * share one WebSocket. Every tab runs this endpoint; the one holding the leader Web Lock also runs
 * the hub (`hub.ts`) with the real socket. When the leading tab closes or crashes, the browser
 * hands the lock to the next waiting tab, which starts a hub that connects from its own position:
 * what was sent meanwhile is replayed, and each tab's own dedupe shows it once.
 *
 * The endpoint is a `NotificationSocket` like the tab's own socket: it keeps the tab's
 * subscription registry (state, token refresh, retries stay per tab), its position and dedupe,
 * and reaches the server through the hub.
 */
import { CloseCode } from "../../shared/close-codes.js";
import { clientFrameSchema } from "../../shared/protocol.js";
import type { ClientFrame, ServerFrame } from "../../shared/protocol.js";
import { createFrameIntake } from "../frame-intake.js";
import { defaultLifecycleTarget, listenToLifecycle } from "../lifecycle.js";
import { createPositionTracker, DEFAULT_SETTLE_MS } from "../position.js";
import { registryAndPositionMethods } from "../socket.js";
import type { ConnectionState, NotificationSocket, NotificationSocketOptions } from "../socket.js";
import { createSubscriptionRegistry } from "../subscriptions.js";
import type { SubscriptionLink } from "../subscriptions.js";
import { openBus } from "./bus.js";
import type { BroadcastChannelConstructor, Bus, BusMessage, FromHub } from "./bus.js";
import { startHub } from "./hub.js";
import type { Hub } from "./hub.js";
import { browserLocks, holdLock } from "./locks.js";
import type { HeldLock, LockManagerLike } from "./locks.js";

export interface SharedNotificationSocketOptions extends NotificationSocketOptions {
  /**
   * Tabs with the same key share one socket: include what makes a socket different (the gateway
   * path, the user). Tabs of another user or path never share with these.
   */
  shareKey: string;
  /** Web Locks implementation; defaults to `navigator.locks`. */
  locks?: LockManagerLike;
  /** BroadcastChannel implementation; defaults to the browser's. */
  BroadcastChannel?: BroadcastChannelConstructor;
}

/** A tab's endpoint of a shared socket: a `NotificationSocket`, plus one way to speak to the other tabs. */
export interface SharedNotificationSocket extends NotificationSocket {
  /**
   * This tab's user changed (signed out or in): tells the other tabs sharing the socket, whose
   * `onClose` then hears 4001 as if the server had ended their session (they render again). Call
   * it before disposing the endpoint; the provider does.
   */
  announceSessionEnded(): void;
}

/**
 * True when this browser can share a socket between tabs (Web Locks and BroadcastChannel).
 *
 * @example
 * const socket = canShareSocket() ? createSharedNotificationSocket({ url, shareKey }) : createNotificationSocket({ url });
 */
export function canShareSocket(): boolean {
  return browserLocks() !== null && typeof (globalThis as { BroadcastChannel?: unknown }).BroadcastChannel === "function";
}

function randomTabId(): string {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(36).padStart(2, "0")).join("");
}

const IDLE: ConnectionState = { status: "idle" };
const CONNECTING: ConnectionState = { status: "connecting" };

/**
 * Creates this tab's endpoint. Nothing happens until `connect()`. Use `canShareSocket()` first;
 * the provider does both (`shareSocket`, on by default).
 *
 * @example
 * const socket = createSharedNotificationSocket({
 *   url: () => `wss://${location.host}/ws/notifications`,
 *   shareKey: `/ws/notifications|${userId}`,
 *   onFrame: (frame) => { if (frame.type === "message") console.log(frame.text); },
 * });
 * socket.connect();
 * socket.subscribe({ channels: ["articles-42"] }); // held by the one shared socket, routed here
 */
export function createSharedNotificationSocket(options: SharedNotificationSocketOptions): SharedNotificationSocket {
  const locks = options.locks ?? browserLocks();
  const Channel = options.BroadcastChannel ?? (globalThis as { BroadcastChannel?: BroadcastChannelConstructor }).BroadcastChannel;
  if (!locks || !Channel) throw new Error("Sharing a socket needs Web Locks and BroadcastChannel; check canShareSocket() first.");
  const registry = options.subscriptions ?? createSubscriptionRegistry({ retry: options.backoff, random: options.random });
  const tracker = createPositionTracker({ initial: options.lastId, settleMs: options.settleMs ?? DEFAULT_SETTLE_MS });
  const intake = createFrameIntake({ tracker, dedupeCapacity: options.dedupeCapacity });
  const lifecycleTarget = options.lifecycle === false ? null : (options.lifecycle?.target ?? defaultLifecycleTarget());
  const leaderLockName = `ncb:leader:${options.shareKey}`;
  const tabLockName = (tab: string) => `ncb:tab:${options.shareKey}:${tab}`;

  const tab = randomTabId();
  let state: ConnectionState = IDLE;
  let channels: readonly string[] = [];
  let bus: Bus | null = null;
  let stopBus: (() => void) | null = null;
  let lifetime: HeldLock | null = null;
  let election: HeldLock | null = null;
  let hub: Hub | null = null;
  /** The hub this tab follows (its tab id), once it has heard from one. */
  let leader: string | null = null;
  /** How the registry reaches the hub while its socket is open; a new one per open. */
  let link: SubscriptionLink | null = null;
  let started = false;
  let suspended = false;
  let disposed = false;
  let stopLifecycle: (() => void) | null = null;

  const setState = (next: ConnectionState) => {
    if (state === next) return;
    state = next;
    options.onStateChange?.(next);
  };
  const setChannels = (next: readonly string[]) => {
    if (link !== null) registry.noteHeld(next);
    channels = next;
    options.onChannelsChange?.(next);
  };

  const toHub = (frame: ClientFrame): boolean => {
    if (bus === null || link === null) return false;
    bus.post({ kind: "send", tab, frame });
    return true;
  };

  /** The hub's socket is gone (closed, reconnecting, or the hub itself): wait for the next open. */
  const detach = () => {
    if (link !== null) registry.disconnect(link);
    link = null;
    tracker.closed();
  };

  const attach = () => {
    if (link !== null) return;
    const next: SubscriptionLink = { send: (frame) => link === next && toHub(frame), position: () => tracker.position() };
    link = next;
    // As with a tab's own socket: every request resumes from this tab's position.
    registry.connect(next, tracker.position());
  };

  const deliver = (frame: ServerFrame) => {
    if (!intake.accept(frame)) return;
    if (frame.type === "subscribed") {
      setChannels(frame.channels);
      registry.answer(frame);
    } else if (frame.type === "hello") {
      setChannels(frame.channels);
    }
    try {
      options.onFrame?.(frame);
    } catch (error) {
      console.error("[notifications] frame handler threw", error);
    }
  };

  const follow = (next: string) => {
    if (leader === next) return;
    // A new hub: whatever the last one had open is gone; its socket connects from a position.
    detach();
    leader = next;
    setState(CONNECTING);
    bus?.post({ kind: "join", tab });
  };

  const closedBy = (code: number, reason: string) => {
    try {
      options.onClose?.({ code, reason });
    } catch (error) {
      console.error("[notifications] close handler threw", error);
    }
  };

  const fromHub = (message: FromHub) => {
    if (message.kind === "leader") {
      follow(message.leader);
      return;
    }
    if (message.kind === "resign") {
      if (message.leader !== leader) return;
      detach();
      leader = null;
      setState(CONNECTING);
      return;
    }
    if ("to" in message && message.to !== undefined && !message.to.includes(tab)) return;
    // A hub heard before its "leader" message (this tab started meanwhile) is followed too.
    if (message.leader !== leader) follow(message.leader);
    switch (message.kind) {
      case "state":
        if (message.state.status === "open") attach();
        else detach();
        setState(message.state);
        break;
      case "channels":
        setChannels(message.channels);
        break;
      case "frame":
        deliver(message.frame);
        break;
      case "closed":
        closedBy(message.code, message.reason);
        break;
    }
  };

  const onBus = (message: BusMessage) => {
    switch (message.kind) {
      case "session-ended":
        // Another tab's user changed: the cookie this tab's layout was rendered with is gone. The
        // server's 4001 may never reach this tab (the tab that held the socket left first).
        if (message.tab !== tab) closedBy(CloseCode.SESSION_ENDED, "session changed in another tab");
        return;
      case "join":
      case "send":
      case "leave":
      case "reconnect":
        return; // for the hub
      default:
        fromHub(message);
    }
  };

  const becomeLeader = () => {
    if (bus === null) return;
    // The hub connects from this tab's position, settled before the old socket went away.
    detach();
    hub = startHub({
      bus,
      locks,
      self: tab,
      tabLockName,
      lastId: tracker.position(),
      socket: {
        url: options.url,
        WebSocket: options.WebSocket,
        backoff: options.backoff,
        random: options.random,
        settleMs: options.settleMs,
        openTimeoutMs: options.openTimeoutMs,
        ackDelayMs: options.ackDelayMs,
        dedupeCapacity: options.dedupeCapacity,
      },
    });
  };

  const start = () => {
    if (disposed || bus !== null) return;
    const opened = openBus(`ncb:${options.shareKey}`, Channel);
    bus = opened;
    stopBus = opened.listen(onBus);
    setState(CONNECTING);
    // The lifetime lock first: a hub must be able to watch this tab as soon as it has joined.
    lifetime = holdLock(locks, tabLockName(tab), () => {
      if (bus !== opened) return;
      opened.post({ kind: "join", tab });
      election = holdLock(locks, leaderLockName, becomeLeader);
    });
  };

  const stop = () => {
    if (bus === null) return;
    detach();
    hub?.stop();
    hub = null;
    election?.release();
    election = null;
    bus.post({ kind: "leave", tab });
    lifetime?.release();
    lifetime = null;
    stopBus?.();
    stopBus = null;
    bus.close();
    bus = null;
    leader = null;
    setChannels([]);
  };

  const startLifecycle = () => {
    if (stopLifecycle || !lifecycleTarget) return;
    stopLifecycle = listenToLifecycle(lifecycleTarget, {
      pagehide() {
        if (bus === null) return;
        // Hand the socket over now rather than when the page is destroyed (or frozen in the bfcache).
        suspended = true;
        stop();
        setState({ status: "closed", code: CloseCode.NORMAL, reason: "pagehide", intentional: false });
      },
      pageshow(persisted) {
        if (!persisted || !suspended || disposed) return;
        suspended = false;
        start();
      },
      online() {
        hub?.online();
      },
    });
  };

  const close = (code: number = CloseCode.NORMAL, reason?: string) => {
    suspended = false;
    stop();
    stopLifecycle?.();
    stopLifecycle = null;
    started = false;
    setState(reason === undefined ? { status: "closed", code, intentional: true } : { status: "closed", code, reason, intentional: true });
  };

  return {
    connect() {
      if (disposed) return;
      if (started && bus !== null) {
        // Already taking part: ask the hub for a fresh socket (what `connect()` means on a tab's own).
        bus.post({ kind: "reconnect", tab });
        return;
      }
      started = true;
      suspended = false;
      startLifecycle();
      start();
    },
    close,
    dispose() {
      if (disposed) return;
      close();
      disposed = true;
    },
    announceSessionEnded() {
      bus?.post({ kind: "session-ended", tab });
    },
    send(frame) {
      if (!clientFrameSchema.safeParse(frame).success) return false;
      return toHub(frame);
    },
    getState: () => state,
    getChannels: () => channels,
    ...registryAndPositionMethods(registry, tracker),
  };
}
