/**
 * The tab's notification socket as a small state machine around the browser WebSocket:
 * reconnect with backoff (and an open timeout), dedupe notifications by id, acknowledge those that
 * ask for it in batches, track the position it resumes from, keep live subscriptions across
 * reconnects, follow the page lifecycle. No React here; the provider wraps it.
 */
import { CloseCode } from "../shared/close-codes.js";
import { clientFrameSchema, parseServerFrame } from "../shared/protocol.js";
import type { ClientFrame, ServerFrame } from "../shared/protocol.js";
import { createAckBatcher, DEFAULT_ACK_DELAY_MS } from "./acks.js";
import { createBackoff } from "./backoff.js";
import type { BackoffOptions } from "./backoff.js";
import { createFrameIntake } from "./frame-intake.js";
import { defaultLifecycleTarget, listenToLifecycle } from "./lifecycle.js";
import { createPositionTracker, DEFAULT_SETTLE_MS } from "./position.js";
import type { PositionTracker } from "./position.js";
import { createSubscriptionRegistry } from "./subscriptions.js";
import type { SubscriptionHandle, SubscriptionLink, SubscriptionRegistry, SubscriptionRequest } from "./subscriptions.js";

/** Where the connection stands. `closed.intentional` is true only after `close()`/`dispose()`. */
export type ConnectionState =
  | { status: "idle" }
  | { status: "connecting" }
  | { status: "open" }
  | { status: "reconnecting"; attempt: number; delayMs: number }
  | { status: "failed" }
  | { status: "closed"; code?: number; reason?: string; intentional: boolean };

export type ConnectionStatus = ConnectionState["status"];

// Handler types are declared with method syntax so both the DOM's WebSocket (whose handlers
// take a full MessageEvent/CloseEvent) and the `ws` package's class fit without casts.
type Handler<E> = { bivarianceHack(event: E): void }["bivarianceHack"];

/** The part of the WebSocket API the client uses: the browser's, or `ws` in Node tests. */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType: string;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface NotificationSocketOptions {
  /** Socket URL, or a function called before every (re)connect so it can change (cookies, params). */
  url: string | (() => string);
  /** WebSocket implementation; defaults to `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructor;
  backoff?: BackoffOptions;
  /** Every understood frame: notifications (after dedupe) and control frames. */
  onFrame?: (frame: ServerFrame) => void;
  onStateChange?: (state: ConnectionState) => void;
  /** The channels the server says this socket holds (from `hello` / `subscribed`). */
  onChannelsChange?: (channels: readonly string[]) => void;
  /**
   * The open (or opening) socket closed on its own, e.g. with 4001 when its session ended; called
   * before the reconnect is scheduled. Not called for `close()`, `dispose()`, `pagehide` or a
   * `connect()` that replaces the socket.
   */
  onClose?: (event: { code: number; reason: string }) => void;
  /** Where `pagehide`/`pageshow`/`online` come from; defaults to `window`. `false` turns it off. */
  lifecycle?: { target: EventTarget } | false;
  /** How many notification ids to remember for dedupe. Default 1000. */
  dedupeCapacity?: number;
  /** Random source for jitter (tests). */
  random?: () => number;
  /**
   * Highest notification id the page already accounts for (a watermark rendered by the server):
   * the position of the first connect, until a higher id has settled.
   */
  lastId?: number | null;
  /**
   * How long (ms) an id must have been received, socket open, before it counts for the position
   * reported on reconnect and with subscribes. Covers ids published out of order by different
   * server processes (99 arriving after 100). Default 2500.
   */
  settleMs?: number;
  /** A socket that has not opened after this long (ms) is dropped and retried with backoff. Default 10000. */
  openTimeoutMs?: number;
  /** How long (ms) acks are collected before one batch is sent. Default 25. */
  ackDelayMs?: number;
  /**
   * The live subscriptions to keep across reconnects. Default: a registry of its own. Pass one to
   * share it with a later controller (the provider keeps one for its lifetime).
   */
  subscriptions?: SubscriptionRegistry;
}

/** Default time a socket may take to open before it is dropped and retried. */
export const DEFAULT_OPEN_TIMEOUT_MS = 10_000;

export interface NotificationSocket {
  /** Opens the socket, replacing any current one (never two alive). Resets the backoff. */
  connect(): void;
  /** Closes on purpose: no reconnect until `connect()` is called again. */
  close(code?: number, reason?: string): void;
  /** `close()` for good: later `connect()` calls do nothing. */
  dispose(): void;
  /** Sends a client frame while the socket is open; returns false (and sends nothing) otherwise. */
  send(frame: ClientFrame): boolean;
  /**
   * Asks for channels and/or a token now and after every reconnect; returns the request's handle.
   * Calling it releases the request with `{"type":"unsubscribe","ref":…}`: the server then drops
   * only what no other request holds. To swap one request for another without a gap, subscribe
   * the new one before releasing the old one. `handle.getState()` says where the request stands.
   */
  subscribe(request: SubscriptionRequest): SubscriptionHandle;
  /** Drops channels now and from what is re-sent after reconnects. */
  unsubscribe(channels: readonly string[]): void;
  getState(): ConnectionState;
  /** Extra channels the server granted this socket (from `hello` / `subscribed`). */
  getChannels(): readonly string[];
  /**
   * The position: the highest id settled (see `settleMs`) or given as a watermark, or null. The
   * next reconnect reports what it is when the socket closes.
   */
  getPosition(): number | null;
  /** Highest notification id received so far (or given as a watermark), settled or not, or null. */
  getLastSeenId(): number | null;
  /**
   * Raises the position to `id` if it is higher (a newer server-rendered watermark). Call it only
   * while the socket is open: everything up to it has then arrived live.
   */
  noteLastId(id: number): void;
}

/** Query parameter carrying the last id seen, so the server can replay what the socket missed. */
export const LAST_ID_PARAM = "lastId";

/**
 * `url` with `lastId=<id>` set (replacing any there), or unchanged when no id is known.
 *
 * @example
 * withLastId("wss://app.example/ws/notifications", 17) // "wss://app.example/ws/notifications?lastId=17"
 */
export function withLastId(url: string, lastId: number | null): string {
  if (lastId === null) return url;
  try {
    const parsed = new URL(url);
    parsed.searchParams.set(LAST_ID_PARAM, String(lastId));
    return parsed.toString();
  } catch {
    return `${url}${url.includes("?") ? "&" : "?"}${LAST_ID_PARAM}=${lastId}`;
  }
}

/**
 * The socket methods that only read or change the tab's subscriptions and position: the same for a
 * tab's own socket and for a tab sharing another tab's (`shared-socket/tab.ts`).
 */
export function registryAndPositionMethods(registry: SubscriptionRegistry, tracker: PositionTracker): Pick<NotificationSocket, "subscribe" | "unsubscribe" | "getPosition" | "getLastSeenId" | "noteLastId"> {
  return {
    subscribe: (request) => registry.add(request),
    unsubscribe: (names) => registry.removeChannels(names),
    getPosition: () => tracker.position(),
    getLastSeenId: () => tracker.highest(),
    noteLastId: (id) => tracker.raise(id),
  };
}

const OPEN = 1;
const CONNECTING = 0;
const noop = () => {};

function sameState(a: ConnectionState, b: ConnectionState): boolean {
  const keysA = Object.keys(a) as (keyof ConnectionState)[];
  if (keysA.length !== Object.keys(b).length) return false;
  return keysA.every((key) => (a as Record<string, unknown>)[key] === (b as Record<string, unknown>)[key]);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** Heartbeats of silence after which an "open" socket is presumed dead. */
const SILENCE_FACTOR = 2.5;

/** What browsers report for a connection that failed before it opened. */
const ABNORMAL_CLOSURE = 1006;

/** Detaches every handler so a replaced socket cannot deliver late events. */
function detach(socket: WebSocketLike): void {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
  // Not null: the `ws` package throws on an 'error' event without a listener, which a close
  // during the handshake produces.
  socket.onerror = noop;
}

function closeQuietly(socket: WebSocketLike, code: number, reason?: string): void {
  if (socket.readyState !== OPEN && socket.readyState !== CONNECTING) return;
  try {
    socket.close(code, reason);
  } catch {
    // Browsers reject codes outside 1000/3000–4999 and over-long reasons; a plain close still ends it.
    try {
      socket.close();
    } catch {
      /* already closing */
    }
  }
}

/**
 * Creates the controller. Nothing connects until `connect()`.
 *
 * @example
 * const socket = createNotificationSocket({
 *   url: () => `wss://${location.host}/ws/notifications`,
 *   onFrame: (frame) => { if (frame.type === "message") console.log(frame.text); },
 *   onStateChange: (state) => console.log(state.status),
 * });
 * socket.connect();
 * socket.subscribe({ channels: ["articles-42"] });
 * // …
 * socket.dispose();
 */
export function createNotificationSocket(options: NotificationSocketOptions): NotificationSocket {
  const backoff = createBackoff(options.backoff, options.random);
  const registry = options.subscriptions ?? createSubscriptionRegistry({ retry: options.backoff, random: options.random });
  const tracker = createPositionTracker({ initial: options.lastId, settleMs: options.settleMs ?? DEFAULT_SETTLE_MS });
  const openTimeoutMs = options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
  if (!Number.isFinite(openTimeoutMs) || openTimeoutMs <= 0) throw new RangeError(`openTimeoutMs must be a positive number, got ${openTimeoutMs}.`);
  const lifecycleTarget = options.lifecycle === false ? null : (options.lifecycle?.target ?? defaultLifecycleTarget());

  let state: ConnectionState = { status: "idle" };
  let socket: WebSocketLike | null = null;
  /** How the subscription registry reaches the current socket; a new one per socket. */
  let link: SubscriptionLink | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let openTimer: ReturnType<typeof setTimeout> | null = null;
  let channels: readonly string[] = [];
  /** Closed by `pagehide`; a bfcache `pageshow` reopens only in this case. */
  let suspended = false;
  let disposed = false;
  let stopLifecycle: (() => void) | null = null;

  const setState = (next: ConnectionState) => {
    if (sameState(state, next)) return;
    state = next;
    options.onStateChange?.(next);
  };

  const setChannels = (next: readonly string[]) => {
    // A shared registry hears only from the socket it is attached to (a disconnect clears it).
    if (link !== null) registry.noteHeld(next);
    if (sameList(channels, next)) return;
    channels = next;
    options.onChannelsChange?.(next);
  };

  const clearTimer = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };

  const clearOpenTimer = () => {
    if (openTimer !== null) clearTimeout(openTimer);
    openTimer = null;
  };

  const sendRaw = (frame: ClientFrame): boolean => {
    if (!socket || socket.readyState !== OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  };

  const acks = createAckBatcher({ send: (ids) => sendRaw({ type: "ack", ids }), delayMs: options.ackDelayMs ?? DEFAULT_ACK_DELAY_MS });
  const intake = createFrameIntake({ tracker, dedupeCapacity: options.dedupeCapacity, onAck: (id) => acks.add(id) });

  /**
   * Dead-connection watchdog. A connection that died without a close (laptop asleep, network
   * changed, a proxy dropped it) looks open to the page forever: browsers cannot see protocol
   * pings. The server sends a text ping every heartbeat, so silence for SILENCE_FACTOR beats
   * means the socket is dead: drop it and reconnect (and let `lastId` recover what was missed).
   * Armed by the first ping, so a server that sends none is never mistaken for a dead one.
   */
  let watchdog: ReturnType<typeof setInterval> | null = null;
  let heartbeatMs: number | null = null;
  let lastHeardAt = 0;
  const stopWatchdog = () => {
    if (watchdog !== null) clearInterval(watchdog);
    watchdog = null;
  };
  const armWatchdog = () => {
    if (watchdog !== null || heartbeatMs === null) return;
    const limitMs = heartbeatMs * SILENCE_FACTOR;
    watchdog = setInterval(() => {
      if (Date.now() - lastHeardAt <= limitMs) return;
      dropSocket(CloseCode.HEARTBEAT_TIMEOUT, "heartbeat timeout");
      scheduleReconnect(CloseCode.HEARTBEAT_TIMEOUT, "heartbeat timeout");
    }, Math.max(25, Math.floor(heartbeatMs / 2)));
  };

  /**
   * Everything a socket's end means, whichever way it ended: the position keeps only what had
   * settled, unsent acks are dropped (the server replays unacked rows), subscriptions wait for the
   * next socket.
   */
  const socketEnded = () => {
    stopWatchdog();
    clearOpenTimer();
    acks.clear();
    tracker.closed();
    if (link !== null) registry.disconnect(link);
    link = null;
    socket = null;
    setChannels([]);
  };

  const dropSocket = (code: number, reason?: string) => {
    const current = socket;
    socketEnded();
    if (current) {
      detach(current);
      closeQuietly(current, code, reason);
    }
  };

  const scheduleReconnect = (code: number, reason: string) => {
    if (!backoff.options.enabled) {
      setState(reason === "" ? { status: "closed", code, intentional: false } : { status: "closed", code, reason, intentional: false });
      return;
    }
    // A restart or an ended session is not the network failing: come back after the first,
    // short delay instead of wherever the backoff had climbed to.
    if (code === CloseCode.SERVICE_RESTART || code === CloseCode.SESSION_ENDED) backoff.reset();
    const step = backoff.next();
    if (step === null) {
      setState({ status: "failed" });
      return;
    }
    setState({ status: "reconnecting", attempt: step.attempt, delayMs: step.delayMs });
    timer = setTimeout(() => {
      timer = null;
      open();
    }, step.delayMs);
  };

  const deliver = (frame: ServerFrame) => {
    try {
      options.onFrame?.(frame);
    } catch (error) {
      // A faulty consumer must not take the connection down with it.
      console.error("[notifications] frame handler threw", error);
    }
  };

  const handleText = (data: unknown) => {
    // Binary frames carry nothing this protocol defines.
    if (typeof data !== "string") return;
    const frame = parseServerFrame(data);
    if (frame === null) return;
    if (!intake.accept(frame)) return;
    switch (frame.type) {
      case "hello":
        heartbeatMs = frame.heartbeatMs;
        setChannels(frame.channels);
        break;
      case "ping":
        armWatchdog();
        return;
      case "subscribed":
        setChannels(frame.channels);
        registry.answer(frame);
        break;
      case "error":
        break;
    }
    deliver(frame);
  };

  function open(): void {
    if (disposed) return;
    const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    let next: WebSocketLike;
    try {
      if (!Ctor) throw new Error("no WebSocket implementation available");
      // Every (re)connect reports the position, so the server can replay what was missed.
      next = new Ctor(withLastId(typeof options.url === "function" ? options.url() : options.url, tracker.position()));
    } catch (error) {
      // A bad URL or a missing WebSocket will not fix itself; retrying would only spin.
      console.error("[notifications] cannot open the socket", error);
      setState({ status: "failed" });
      return;
    }
    socket = next;
    next.binaryType = "arraybuffer";
    const nextLink: SubscriptionLink = {
      send: (frame) => socket === next && sendRaw(frame),
      position: () => tracker.position(),
    };
    // A handshake that hangs (a proxy holding the request, a server stuck before upgrading)
    // would leave the tab "connecting" forever: give up on it and retry like any failed attempt.
    openTimer = setTimeout(() => {
      openTimer = null;
      if (socket !== next) return;
      dropSocket(CloseCode.NORMAL, "open timeout");
      scheduleReconnect(ABNORMAL_CLOSURE, "open timeout");
    }, openTimeoutMs);
    next.onopen = () => {
      if (socket !== next) return;
      clearOpenTimer();
      backoff.reset();
      link = nextLink;
      setState({ status: "open" });
      // Every subscription resumes from the position this connection reported, not from one
      // raised by frames arriving meanwhile: a broadcast landing before a channel's subscribe
      // must not move that channel past its gap.
      registry.connect(nextLink, tracker.position());
    };
    next.onmessage = (event) => {
      if (socket !== next) return;
      lastHeardAt = Date.now();
      handleText(event.data);
    };
    next.onerror = noop; // a close event always follows; that is where we decide
    next.onclose = (event) => {
      if (socket !== next) return;
      detach(next);
      socketEnded();
      try {
        options.onClose?.({ code: event.code, reason: event.reason });
      } catch (error) {
        console.error("[notifications] close handler threw", error);
      }
      // The handler may have closed, disposed or reconnected the controller itself.
      if (disposed || socket !== null || state.status === "closed") return;
      scheduleReconnect(event.code, event.reason);
    };
    setState({ status: "connecting" });
  }

  const startLifecycle = () => {
    if (stopLifecycle || !lifecycleTarget) return;
    stopLifecycle = listenToLifecycle(lifecycleTarget, {
      pagehide() {
        const active = state.status === "connecting" || state.status === "open" || state.status === "reconnecting";
        if (!active) return;
        // Closing lets the page enter the bfcache and frees the server's socket at once.
        suspended = true;
        clearTimer();
        dropSocket(CloseCode.NORMAL, "pagehide");
        setState({ status: "closed", code: CloseCode.NORMAL, reason: "pagehide", intentional: false });
      },
      pageshow(persisted) {
        if (!persisted || !suspended || disposed) return;
        suspended = false;
        backoff.reset();
        open();
      },
      online() {
        if (state.status !== "reconnecting") return;
        clearTimer();
        open();
      },
    });
  };

  const stopListening = () => {
    stopLifecycle?.();
    stopLifecycle = null;
  };

  const close = (code: number = CloseCode.NORMAL, reason?: string) => {
    clearTimer();
    suspended = false;
    dropSocket(code, reason);
    stopListening();
    setState(reason === undefined ? { status: "closed", code, intentional: true } : { status: "closed", code, reason, intentional: true });
  };

  return {
    connect() {
      if (disposed) return;
      clearTimer();
      suspended = false;
      dropSocket(CloseCode.NORMAL, "replaced");
      backoff.reset();
      startLifecycle();
      open();
    },
    close,
    dispose() {
      if (disposed) return;
      close();
      disposed = true;
    },
    send(frame) {
      // Public callers may be plain JS: refuse frames the server would refuse anyway.
      if (!clientFrameSchema.safeParse(frame).success) return false;
      return sendRaw(frame);
    },
    getState: () => state,
    getChannels: () => channels,
    ...registryAndPositionMethods(registry, tracker),
  };
}
