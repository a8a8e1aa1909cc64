/**
 * The websocket gateway: admits sockets on the notifications path, derives their groups from
 * the session and the gates, puts them in their groups through the one join path (`join.ts`),
 * and keeps them healthy: heartbeats, limits, acks, session expiry and revocation, catch-up
 * after a channel-layer outage, and a shutdown that lets nothing in behind it.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import { userGroup } from "../../shared/channels.js";
import { CloseCode } from "../../shared/close-codes.js";
import { parseClientFrame, type ClientFrame, type PingFrame, type SubscribeFrame, type SubscriptionRefusal } from "../../shared/protocol.js";
import type { Authenticate, SocketUser } from "../auth/session.js";
import { denyAll, type Authorizer } from "../auth/authorizer.js";
import type { RevocationList } from "../auth/revocation.js";
import { createMemoryLayer } from "../layer/memory.js";
import type { ChannelLayer } from "../layer/types.js";
import { InvalidSettingError } from "../../shared/errors.js";
import { markGatewayListening } from "../reach.js";
import type { NotificationsRuntime } from "../runtime.js";
import { readSettings, type NotificationSettings } from "../settings.js";
import { LAST_ID_PARAM, parseLastId } from "../store/replay.js";
import type { NotificationStore } from "../store/types.js";
import { AckWriter } from "./acks.js";
import { Admission, clientAddress } from "./admission.js";
import { ClientBudgets } from "./client-budgets.js";
import { Connection, type ConnectionContext } from "./connection.js";
import { SessionExpiries } from "./session-expiry.js";
import { CONTROL_REAUTHENTICATE, CONTROL_REVOKE_SESSION_PREFIX } from "./control.js";
import { prepareTextFrame } from "./frame.js";
import { FrameQueues } from "./frame-queue.js";
import { inTurns } from "../batching.js";
import { RateLimit } from "../rate-limit.js";
import { GroupRegistry } from "./groups.js";
import { JoinError, JoinPath } from "./join.js";
import { Membership, NOTHING_REQUESTED } from "./membership.js";
import { frameKind, groupAudience, guardedObserver, type GatewayObserver, type SocketKind } from "./observer.js";
import { isOriginAllowed, parseExtraChannels, refuseUpgrade, requestPath, requestQuery } from "./handshake.js";
import { EMPTY_VIEW, type PresenceView } from "../presence/entry.js";
import { PresenceTracker, type PresenceOptions } from "../presence/tracker.js";
import { getLogger } from "../logger.js";

/** The heartbeat's text frame, built once. */
const PING_FRAME = prepareTextFrame(JSON.stringify({ type: "ping" } satisfies PingFrame));

/** Batches a drain closes sockets in, spread over `NOTIFICATIONS_DRAIN_WINDOW_MS`. */
const DRAIN_BATCHES = 10;
/** Subscription frames one socket may have waiting (a flood of them is closed with 1008). */
const MAX_PENDING_SUBSCRIPTION_FRAMES = 64;
/** Sockets caught up per turn of the event loop after an outage, so a big process stays responsive. */
const CATCH_UP_BATCH = 200;
/**
 * Sockets a heartbeat visits per turn of the event loop: 19,900 idle sockets pinged in one loop
 * blocked page requests for up to 1.2 s every beat (bench/README.md, idle capacity).
 */
const HEARTBEAT_BATCH = 250;
/** Rate-limit errors sent to one throttled socket per second at most (the answer must not become the flood). */
const RATE_LIMIT_NOTICE_MS = 1_000;

/** An acknowledgement that counted: an inbox row this socket was sent and its user acked. */
export interface AckEvent {
  id: number;
  user: SocketUser | null;
  /** The groups the acking socket is in. */
  groups: ReadonlySet<string>;
}

export interface GatewayOptions {
  /**
   * The instance this gateway serves (`createNotifications()`, or `defaultNotifications`): its
   * settings, layer, store, revocations, `authenticate`, `authorizer` and token key. Then
   * `settings`, `layer`, `store` and `revocations` must not be given too; `authenticate`,
   * `authorizer` and `tokenSecret` given here override the instance's.
   */
  notifications?: { readonly runtime: NotificationsRuntime };
  /** Defaults to `readSettings()` (environment). */
  settings?: NotificationSettings;
  /** Defaults to a new in-memory layer. */
  layer?: ChannelLayer;
  /**
   * Resolves the user of a handshake. Defaults to everyone anonymous. A throw, or no answer within
   * `NOTIFICATIONS_AUTHENTICATE_TIMEOUT_MS`, refuses the handshake with 503 (never anonymous).
   */
  authenticate?: Authenticate;
  /** Decides client-requested channels. Defaults to deny all. */
  authorizer?: Authorizer;
  /** Key of subscription tokens. Defaults to AUTH_SECRET. */
  tokenSecret?: string;
  /** An authorizer slower than this denies. Default 2000 ms. */
  authorizerTimeoutMs?: number;
  /** Called for each acknowledgement that counted, once it was recorded. */
  onAck?: (ack: AckEvent) => void | Promise<void>;
  /**
   * Stored notifications: every join (connect, subscribe, outage catch-up) sends the socket its
   * pending inbox, what its groups missed since its position, and their latest progress, before
   * their live frames; acks are recorded. Defaults to none (nothing replayed).
   */
  store?: NotificationStore;
  /**
   * Revoked sessions, checked at every handshake and every `NOTIFICATIONS_REVOCATION_CHECK_MS`
   * for open sockets. Default: none (only the immediate close by `revokeSession` applies).
   */
  revocations?: RevocationList;
  /**
   * How long a join waits for the store's replay before going on without it: `hello` (or the
   * `subscribed` answer) is sent, live frames flow, and the timeout is logged. Default: the store's
   * `replayTimeoutMs` setting (`NOTIFICATIONS_REPLAY_TIMEOUT_MS`, 5 s).
   */
  replayTimeoutMs?: number;
  /** How long acks are collected before one statement records them. Default 50 ms. */
  ackFlushMs?: number;
  /** Where problems are reported. Default: the process logger (`getLogger()`). */
  logger?: Pick<Console, "warn" | "error">;
  /**
   * Presence: who is on a channel, for the channels `presence.channels` selects (default: none).
   * See the README, "Presence".
   */
  presence?: PresenceOptions;
  /** Told what the gateway does (handshakes, deliveries, replays, acks, cuts, layer state): metrics. */
  observer?: GatewayObserver;
}

/** What a gateway holds right now (`gateway.stats()`). */
export interface GatewayStats {
  /** Open sockets by kind. */
  sockets: { authenticated: number; anonymous: number };
  /** Distinct signed-in users with an open socket here. */
  users: number;
  /** Groups this process listens to (its trusted groups and every held channel). */
  groups: number;
  /** Distinct client-requested channels held by its sockets. */
  channels: number;
  /** The most-held groups, largest first (at most `busiest` of them; default 10). */
  busiest: { group: string; sockets: number }[];
  /** Whether the channel layer is up (false during an outage). */
  layerUp: boolean;
  /** True once shutdown began: no new sockets are accepted. */
  closing: boolean;
}

export interface Gateway {
  readonly settings: NotificationSettings;
  readonly layer: ChannelLayer;
  /** True when `req` is an upgrade for the notifications path. */
  handles(req: IncomingMessage): boolean;
  /** Takes over an `upgrade` event for the notifications path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Number of open sockets. */
  connectionCount(): number;
  /** Number of local sockets in `group`. */
  groupSize(group: string): number;
  /** What this process holds now: sockets by kind, users, groups, channels, the busiest groups. @example const { sockets } = gateway.stats(); */
  stats(options?: { busiest?: number }): GatewayStats;
  /** Checks every open socket against the revoked sessions now (the periodic sweep does the same). */
  sweepRevoked(): Promise<number>;
  /**
   * Who is on `channel`, over every process sharing the layer: a count (each signed-in user once,
   * plus anonymous sockets) and the listed members (at most `NOTIFICATIONS_PRESENCE_MAX_LISTED`).
   * Empty for a channel without presence.
   */
  presence(channel: string): Promise<PresenceView>;
  /**
   * Stops accepting (upgrades in flight are refused, even those already past their checks),
   * closes every socket with 1012 (clients reconnect promptly), writes pending acks and stops the
   * timers. Does not close the layer. With `drainWindowMs` (a server's shutdown passes the setting
   * `NOTIFICATIONS_DRAIN_WINDOW_MS`; default 0, all at once), the sockets are closed in batches
   * spread over that window, so the next process is not hit by every client in the same second.
   */
  close(options?: { drainWindowMs?: number }): Promise<void>;
}

/**
 * Groups a socket joins by who it is, given the gates.
 *
 * @example
 * trustedGroups(readSettings(), { id: "42", expiresAt: null }); // ["all", "authenticated", "user:42"]
 * trustedGroups(readSettings(), null);                          // ["all"] (anonymous is off by default)
 */
export function trustedGroups(settings: NotificationSettings, user: SocketUser | null): string[] {
  const groups: string[] = [];
  if (settings.enableAll) groups.push("all");
  if (user && settings.enableAuthenticated) groups.push("authenticated", userGroup(user.id));
  if (!user && settings.enableAnonymous) groups.push("anonymous");
  return groups;
}

/** The options with an instance's runtime spread into them (`GatewayOptions.notifications`). */
function fromInstance(options: GatewayOptions): GatewayOptions {
  if (!options.notifications) return options;
  for (const name of ["settings", "layer", "store", "revocations"] as const) {
    if (options[name] !== undefined) throw new InvalidSettingError(name, "comes from `notifications`; give one or the other to createGateway, not both.");
  }
  const runtime = options.notifications.runtime;
  return {
    ...options,
    settings: runtime.settings,
    layer: runtime.layer,
    store: runtime.store,
    revocations: runtime.revocations,
    authenticate: options.authenticate ?? runtime.authenticate,
    authorizer: options.authorizer ?? runtime.authorizer,
    tokenSecret: options.tokenSecret ?? runtime.tokenSecret,
  };
}

/** `authenticate(req)`, or "timeout" when it takes longer than `ms`. */
async function authenticateWithin(authenticate: Authenticate, req: IncomingMessage, ms: number): Promise<SocketUser | null | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  const work = Promise.resolve().then(() => authenticate(req));
  work.catch(() => undefined); // a late rejection after the timeout is not an unhandled one
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Until ws owns an upgrading socket, a reset from the peer must not become an uncaught error. One
 * shared function rather than a closure per socket, and removed once ws has its own listener.
 */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

function kindOf(connection: Connection): SocketKind {
  return connection.user ? "authenticated" : "anonymous";
}

/**
 * Creates a gateway. Route the HTTP server's `upgrade` events for `settings.path` to
 * `handleUpgrade`; `server.ts` shows how alongside Next.js.
 *
 * @example
 * const gateway = createGateway({ layer, authenticate: authjsAuthenticate() });
 * httpServer.on("upgrade", (req, socket, head) => {
 *   if (gateway.handles(req)) gateway.handleUpgrade(req, socket, head);
 *   else socket.destroy();
 * });
 */
export function createGateway(given: GatewayOptions = {}): Gateway {
  const options = fromInstance(given);
  const settings = options.settings ?? readSettings();
  const layer = options.layer ?? createMemoryLayer();
  const authenticate: Authenticate = options.authenticate ?? (async () => null);
  const logger = options.logger ?? getLogger();
  const observer = guardedObserver(options.observer);
  const store = options.store;
  const replayTimeoutMs = options.replayTimeoutMs ?? store?.settings.replayTimeoutMs ?? 5_000;
  const registry = new GroupRegistry<Connection>(layer, observer.delivered ? (group, frame, members) => observer.delivered!(frameKind(frame), groupAudience(group), members) : undefined);
  // Sends through this layer now reach someone: no "nobody is listening" warning (see reach.ts).
  const unmarkLayer = markGatewayListening(layer);
  const presence = options.presence ? new PresenceTracker({ layer, settings, presence: options.presence, tokenSecret: options.tokenSecret, logger }) : null;
  const joinPath = new JoinPath(registry, { store, replayTimeoutMs, logger, onReplayed: observer.replayed, presence: presence ?? undefined });
  const membership = new Membership(
    settings,
    { authorizer: options.authorizer ?? denyAll, maxNameLength: settings.maxChannelNameLength, timeoutMs: options.authorizerTimeoutMs ?? 2_000 },
    options.tokenSecret,
  );
  const frameQueues = new FrameQueues<Connection>(MAX_PENDING_SUBSCRIPTION_FRAMES, (error) => logger.error("[notifications] client frame failed", error));
  const admission = new Admission(settings);
  const budgets = new ClientBudgets(settings.clientFramesPerSecondPerUser);
  const acks = new AckWriter<Omit<AckEvent, "id">>({
    store,
    flushMs: options.ackFlushMs,
    logger,
    onWritten: options.onAck ? ({ id, event }) => options.onAck!({ id, ...event }) : undefined,
  });
  const connections = new Set<Connection>();
  const sessionExpiries = new SessionExpiries<Connection>({
    onExpired: (connection) => shut(connection, CloseCode.SESSION_ENDED, "session expired"),
    isGone: (connection) => connection.closing,
  });
  const lastRateNotice = new WeakMap<Connection, number>();
  // Declared with `function` below (hoisted): what every socket shares, one object for all.
  const connectionContext: ConnectionContext = {
    maxBufferedBytes: settings.maxBufferedBytes,
    frameRate: new RateLimit(settings.clientFramesPerSecond),
    onSlowConsumer: dropSlowConsumer,
    onControl,
  };
  let closing = false;

  /**
   * The server's sockets hand their events straight to their Connection instead of to listeners:
   * four listeners per socket (closures, the handshake's context they kept alive, and a larger
   * event table on every socket) were the largest part of an idle socket's heap above the bare
   * `ws` server's (bench/README.md). Listeners added by anyone else still run (`super.emit`).
   */
  class GatewaySocket extends WebSocket {
    connection: Connection | undefined = undefined;

    override emit(event: string | symbol, ...args: unknown[]): boolean {
      const connection = this.connection;
      if (connection !== undefined) {
        if (event === "message") onMessage(connection, args[0] as RawData, args[1] as boolean);
        else if (event === "pong") connection.onPong();
        else if (event === "close") onSocketClose(connection, args[0] as number);
      }
      // 'close' follows an error; the error itself needs no handling (and must not throw).
      if (event === "error" && this.listenerCount("error") === 0) return false;
      return super.emit(event, ...args);
    }
  }

  // perMessageDeflate off: compressing each frame per socket would undo serialise-once, and
  // small JSON frames gain little. maxPayload bounds what a client can make us buffer.
  const wss = new WebSocketServer({ noServer: true, maxPayload: settings.maxFrameBytes, perMessageDeflate: false, clientTracking: false, WebSocket: GatewaySocket });

  // Each beat: a protocol ping (the browser answers by itself; no pong by the next beat means
  // the peer is gone) and a tiny text ping, framed once for everyone, which the browser can see.
  const heartbeat = setInterval(() => inTurns([...connections], HEARTBEAT_BATCH, beat, () => closing), settings.heartbeatMs);
  function beat(connection: Connection): void {
    if (!connection.alive) {
      connection.ws.terminate();
      return;
    }
    connection.alive = false;
    // The protocol ping and the visible one leave in one write.
    const corked = connection.cork();
    connection.ping();
    connection.deliver(PING_FRAME.payload, PING_FRAME.wire);
    if (corked) connection.uncork();
  }
  heartbeat.unref();

  const revocationSweep =
    options.revocations && settings.revocationCheckMs > 0
      ? setInterval(() => {
          sweepRevoked().catch((error: unknown) => logger.error("[notifications] revocation check failed", error));
        }, settings.revocationCheckMs)
      : undefined;
  revocationSweep?.unref();

  /** Takes the socket out of every group at once, then closes it with `code`. */
  function shut(connection: Connection, code: CloseCode, reason: string, graceMs?: number): void {
    leaveAll(connection);
    connection.close(code, reason, graceMs);
  }

  function leaveAll(connection: Connection): void {
    // `groups` is replaced, never changed, as groups are left: safe to walk while leaving.
    for (const group of connection.groups) joinPath.leave(connection, group);
    connection.clearChannels();
  }

  /**
   * A gateway-to-gateway message for a group this socket is in: another process re-authenticates
   * a user (sign-out) or revokes one session. The client reconnects at once and its handshake is
   * judged on the cookie it has now.
   */
  function onControl(connection: Connection, action: string): void {
    if (action === CONTROL_REAUTHENTICATE) return shut(connection, CloseCode.SESSION_ENDED, "session changed");
    if (action.startsWith(CONTROL_REVOKE_SESSION_PREFIX) && connection.user?.sessionId === action.slice(CONTROL_REVOKE_SESSION_PREFIX.length)) {
      shut(connection, CloseCode.SESSION_ENDED, "session revoked");
    }
  }

  function dropSlowConsumer(connection: Connection): void {
    if (connection.closing) return;
    logger.warn(`[notifications] closing a slow client (more than ${settings.maxBufferedBytes} bytes unread)`);
    observer.cut?.("slow_consumer");
    shut(connection, CloseCode.SLOW_CONSUMER, "slow consumer", 250);
  }

  async function sweepRevoked(): Promise<number> {
    if (!options.revocations) return 0;
    const byUser = new Map<SocketUser, Connection[]>();
    for (const connection of connections) {
      if (!connection.user || connection.closing) continue;
      const list = byUser.get(connection.user);
      if (list) list.push(connection);
      else byUser.set(connection.user, [connection]);
    }
    const revoked = await options.revocations.revoked([...byUser.keys()]);
    let closed = 0;
    for (const user of revoked) {
      for (const connection of byUser.get(user) ?? []) {
        shut(connection, CloseCode.SESSION_ENDED, "session revoked");
        closed += 1;
      }
    }
    return closed;
  }

  function ownInbox(connection: Connection): string | null {
    const group = connection.user ? userGroup(connection.user.id) : null;
    return group !== null && connection.inGroup(group) ? group : null;
  }

  async function subscribe(connection: Connection, frame: SubscribeFrame): Promise<void> {
    const holder = frame.ref ?? null;
    const answer = (granted: string[], refused: SubscriptionRefusal[]) =>
      connection.sendFrame({
        type: "subscribed",
        ref: frame.ref,
        channels: [...connection.channels.keys()],
        // A ref sent again holds what all its subscribes were granted.
        granted: holder === null ? granted : connection.heldBy(holder),
        ...(refused.length > 0 ? { refused } : {}),
      });
    const isNewRef = holder !== null && connection.heldBy(holder).length === 0;
    if (isNewRef && connection.refCount() >= settings.maxSubscriptionsPerSocket) return answer([], [{ reason: "limit" }]);

    const grant = await membership.grant(connection, { channels: frame.channels ?? [], token: frame.token ?? null });
    if (connection.closing) return;
    try {
      await joinPath.join(connection, {
        groups: grant.fresh,
        since: frame.lastId ?? null,
        inbox: null,
        onReplayed: () => {
          membership.hold(connection, grant.granted, holder);
          answer(grant.granted, grant.refused);
        },
      });
    } catch (error) {
      if (!(error instanceof JoinError)) throw error;
      logger.error("[notifications] could not join a subscription's channels", error);
      // What the socket already held stays held; the new channels are refused for now (retry).
      const kept = grant.granted.filter((name) => !grant.fresh.includes(name));
      membership.hold(connection, kept, holder);
      answer(kept, [...grant.refused, ...grant.fresh.map((channel): SubscriptionRefusal => ({ reason: "unavailable", channel }))]);
    }
  }

  async function handleFrame(connection: Connection, frame: ClientFrame): Promise<void> {
    switch (frame.type) {
      case "subscribe":
        return subscribe(connection, frame);
      case "unsubscribe": {
        const dropped =
          frame.channels !== undefined ? membership.dropChannels(connection, frame.channels) : frame.ref !== undefined ? membership.releaseRef(connection, frame.ref) : [];
        for (const name of dropped) joinPath.leave(connection, name);
        connection.sendFrame({ type: "subscribed", ref: frame.ref, channels: [...connection.channels.keys()], granted: [] });
        return;
      }
      case "ack_message":
      case "ack":
        return; // handled in onMessage, outside the queue
    }
  }

  function takeAcks(connection: Connection, ids: readonly number[]): void {
    const inbox = ownInbox(connection);
    const counted = connection.takeAcks(ids);
    if (inbox === null || counted.length === 0) return;
    observer.acked?.(counted.length);
    acks.record(inbox, counted, { user: connection.user, groups: new Set(connection.groups) });
    joinPath.nextInboxPage(connection, inbox, counted).catch((error: unknown) => logger.error("[notifications] could not send the next page of an inbox", error));
  }

  function cutForRate(connection: Connection, reason: string): void {
    observer.cut?.("rate_limit");
    shut(connection, CloseCode.POLICY_VIOLATION, reason);
  }

  function throttled(connection: Connection): void {
    const now = Date.now();
    if (now - (lastRateNotice.get(connection) ?? 0) < RATE_LIMIT_NOTICE_MS) return;
    lastRateNotice.set(connection, now);
    connection.sendFrame({ type: "error", code: "rate_limited" });
  }

  function onMessage(connection: Connection, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    connection.alive = true;
    if (connection.closing) return;
    if (isBinary) {
      if (!connection.allowClientFrame()) return cutForRate(connection, "too many frames");
      return connection.sendFrame({ type: "error", code: "binary_frame" });
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data as ArrayBuffer).toString("utf8");
    const parsed = parseClientFrame(text);
    const isAck = parsed.ok && (parsed.frame.type === "ack" || parsed.frame.type === "ack_message");
    // An ack of a frame this socket was sent is free: a client acking its whole replay (the
    // original client acks every id, one frame each) must never be cut for it. Anything else
    // spends the socket's rate and its user's (or address's) shared budget.
    if (!(isAck && connection.spendAckCredit())) {
      if (!connection.allowClientFrame()) return cutForRate(connection, "too many frames");
      if (!budgets.take(connection.budgetKey)) return throttled(connection);
    }
    if (!parsed.ok) return connection.sendFrame({ type: "error", code: parsed.code });
    const frame = parsed.frame;
    if (frame.type === "ack_message") return takeAcks(connection, [frame.id]);
    if (frame.type === "ack") return takeAcks(connection, frame.ids);
    const queued = frameQueues.enqueue(connection, () => (connection.closing ? Promise.resolve() : handleFrame(connection, frame)));
    if (!queued) cutForRate(connection, "too many pending frames");
  }

  /** The handshake's own join: trusted groups plus what the URL asked for, then `hello`. */
  async function joinHandshake(connection: Connection, requested: string[], token: string | null, lastId: number | null): Promise<void> {
    const { user } = connection;
    // Most sockets ask for no page channel at the handshake: then there is no grant to wait for.
    const grant = requested.length > 0 || token ? await membership.grant(connection, { channels: requested, token }) : NOTHING_REQUESTED;
    if (connection.closing) return;
    const trusted = trustedGroups(settings, user);
    const inbox = user && trusted.includes(userGroup(user.id)) ? userGroup(user.id) : null;
    try {
      await joinPath.join(connection, {
        groups: [...trusted, ...grant.fresh],
        since: lastId,
        inbox,
        onReplayed: () => {
          membership.hold(connection, grant.granted, null);
          connection.sendFrame({ type: "hello", protocol: 1, userId: user?.id ?? null, channels: [...connection.channels.keys()], heartbeatMs: settings.heartbeatMs });
        },
      });
    } catch (error) {
      if (!(error instanceof JoinError)) throw error;
      logger.error("[notifications] could not subscribe a new socket", error);
      // The client retries with its backoff; nothing it is owed is lost (replayed on the next join).
      shut(connection, CloseCode.TRY_AGAIN_LATER, "subscription failed");
    }
  }

  function onSocketClose(connection: Connection, code: number): void {
    observer.closed?.(kindOf(connection), code);
    connections.delete(connection);
    connection.dispose();
    leaveAll(connection);
    admission.leave(connection.user, connection.address);
    budgets.leave(connection.budgetKey);
    if (connection.user?.expiresAt != null) sessionExpiries.dropped();
  }

  /**
   * Takes in a socket whose handshake passed; its place counted by `admission.admit` is its own
   * from here. `done` (the handshake slot's release, and the socket's uncork) runs once the
   * handshake's join has written its frames, or at once when the socket is turned away.
   */
  function accept(ws: WebSocket, user: SocketUser | null, address: string, request: { requested: string[]; token: string | null; lastId: number | null }, done: () => void): void {
    // Shutdown began while the upgrade completed: nothing is let in behind the snapshot of sockets.
    if (closing) {
      admission.leave(user, address);
      done();
      ws.close(CloseCode.SERVICE_RESTART, "server restarting");
      return;
    }
    const connection = new Connection(ws, user, connectionContext, address);
    connection.position = request.lastId;
    connection.budgetKey = budgets.join(ClientBudgets.keyOf(user?.id ?? null, address));
    connections.add(connection);
    (ws as GatewaySocket).connection = connection;
    observer.handshake?.({ accepted: true, kind: kindOf(connection) });
    const expiresAt = user?.expiresAt;
    if (expiresAt != null) sessionExpiries.add(connection, expiresAt);
    // The handshake's join is the socket's first queued task: subscribe frames sent right after
    // opening wait for it (and come after hello), and so does any outage catch-up.
    frameQueues.enqueue(connection, () => joinHandshake(connection, request.requested, request.token, request.lastId).finally(done));
  }

  // The browser never sees why a handshake was refused; in development the server says it, once
  // per reason, so a developer whose socket keeps failing learns what to change.
  const explained = new Set<string>();
  function refuseExplained(socket: Duplex, status: 401 | 403, reason: string, why: string): void {
    if (process.env.NODE_ENV !== "production" && !explained.has(reason)) {
      explained.add(reason);
      logger.warn(`[notifications] refused a websocket (${status} ${reason}): ${why}`);
    }
    refuse(socket, status, reason);
  }

  /** Refuses an upgrade, counted. */
  function refuse(socket: Duplex, status: Parameters<typeof refuseUpgrade>[1], reason: string): void {
    observer.handshake?.({ accepted: false, status, reason });
    refuseUpgrade(socket, status, reason);
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (closing) return refuse(socket, 503, "Server is shutting down");
    if (!isOriginAllowed(req, settings.allowedOrigins, settings.trustedProxies)) {
      const allowed = settings.allowedOrigins.length > 0 ? `NOTIFICATIONS_ALLOWED_ORIGINS (${settings.allowedOrigins.join(", ")})` : `this server's own origin (host ${JSON.stringify(req.headers.host ?? "")}); list others in NOTIFICATIONS_ALLOWED_ORIGINS, or behind a proxy set NOTIFICATIONS_TRUSTED_PROXIES`;
      return refuseExplained(socket, 403, "Origin not allowed", `Origin ${JSON.stringify(req.headers.origin)} is not allowed; allowed is ${allowed}.`);
    }
    const release = await admission.slot();
    if (release === null) return refuse(socket, 503, "Too many connections in progress");
    let handedOver = false;
    try {
      // Every await below is followed by the same checks: the server may have started closing,
      // or the client may have gone away, meanwhile.
      if (closing) return refuse(socket, 503, "Server is shutting down");
      let user: SocketUser | null;
      try {
        const answer = await authenticateWithin(authenticate, req, settings.authenticateTimeoutMs);
        if (answer === "timeout") {
          logger.warn(`[notifications] authenticate took longer than ${settings.authenticateTimeoutMs} ms; the handshake is refused (503)`);
          return refuse(socket, 503, "Authentication timed out");
        }
        user = answer;
      } catch (error) {
        // Never anonymous by accident: a signed-in user whose session could not be read is refused.
        logger.error("[notifications] authenticate threw; the handshake is refused (503)", error);
        return refuse(socket, 503, "Authentication unavailable");
      }
      if (closing) return refuse(socket, 503, "Server is shutting down");
      if (socket.destroyed) return;
      if (!user && !settings.enableAnonymous) {
        return refuseExplained(socket, 403, "Anonymous connections are disabled", "no signed-in user came with the handshake (no session cookie, or a session without user.id) and ENABLE_ANONYMOUS is off.");
      }
      if (user && options.revocations) {
        const revoked = await options.revocations.isRevoked(user).catch((error: unknown) => {
          logger.error("[notifications] could not check revoked sessions; the handshake is refused (503)", error);
          return null;
        });
        if (revoked === null) return refuse(socket, 503, "Session check unavailable");
        if (revoked) return refuseExplained(socket, 401, "Session revoked", `the session of user ${JSON.stringify(user.id)} was revoked (revokeSession, e.g. signed out): the tab must sign in again.`);
        if (closing) return refuse(socket, 503, "Server is shutting down");
        if (socket.destroyed) return;
      }
      const address = clientAddress(req, settings.trustedProxies);
      const refusal = admission.admit(user, address);
      if (refusal !== null) return refuse(socket, refusal.status, refusal.reason);
      const query = requestQuery(req);
      const request = {
        requested: parseExtraChannels(query.get("extraChannels"), settings.maxChannelsPerSocket),
        token: query.get("subscription_token"),
        lastId: parseLastId(query.get(LAST_ID_PARAM)),
      };
      // The 101 waits in the corked socket for the handshake's join (the replay and `hello`), so
      // all of it leaves in one write: one system call per handshake instead of two. The client
      // sees the socket open with its `hello`, as soon as it would have had the `hello` before.
      socket.cork();
      // ws 8 completes an upgrade synchronously (no verifyClient), so once `handleUpgrade`
      // returns the callback either ran or never will: ws refused a malformed upgrade itself
      // (answering 400), and the place counted against the caps is given back.
      wss.handleUpgrade(req, socket, head, (ws) => {
        handedOver = true;
        accept(ws, user, address, request, () => {
          socket.uncork();
          release();
        });
      });
      if (handedOver) socket.removeListener("error", destroyOnError); // ws handles its errors now
      else {
        socket.uncork(); // ws's own refusal (400) goes out
        admission.leave(user, address);
      }
    } finally {
      if (!handedOver) release();
    }
  }

  /** After an outage of the layer: every socket is sent what it missed, from its position. */
  function catchUp(watermark: number | null): void {
    const pending = [...connections].filter((connection) => connection.catchUpFrom !== undefined);
    inTurns(pending, CATCH_UP_BATCH, (connection) => {
      const since = connection.catchUpFrom ?? watermark;
      connection.catchUpFrom = undefined;
      if (connection.closing) return;
      frameQueues.enqueue(connection, async () => {
        if (connection.closing) return;
        try {
          await joinPath.join(connection, { groups: [...connection.groups], since, inbox: ownInbox(connection), inboxAfterSince: true });
        } catch (error) {
          if (!(error instanceof JoinError)) throw error;
          // Cannot catch up in place: a reconnect replays from the client's own position.
          shut(connection, CloseCode.TRY_AGAIN_LATER, "catch-up failed");
        }
      });
    });
  }

  let outageWatermark: Promise<number | null> = Promise.resolve(null);
  let layerUp = true;

  /**
   * Closes `open` with 1012 in DRAIN_BATCHES batches spread evenly over `windowMs` (all at once
   * when 0), resolving when every socket has closed. Clients reconnect with jitter on top.
   */
  async function drain(open: Connection[], windowMs: number): Promise<void> {
    const closeOne = (connection: Connection) =>
      new Promise<void>((resolve) => {
        if (connection.ws.readyState === connection.ws.CLOSED) return resolve();
        connection.ws.once("close", () => resolve());
        connection.close(CloseCode.SERVICE_RESTART, "server restarting", 1_000);
      });
    if (windowMs <= 0 || open.length <= 1) {
      await Promise.all(open.map(closeOne));
      return;
    }
    const batches = Math.min(DRAIN_BATCHES, open.length);
    const size = Math.ceil(open.length / batches);
    const closing: Promise<void>[] = [];
    for (let batch = 0; batch * size < open.length; batch++) {
      if (batch > 0) await new Promise<void>((resolve) => setTimeout(resolve, windowMs / batches));
      closing.push(...open.slice(batch * size, (batch + 1) * size).map(closeOne));
    }
    await Promise.all(closing);
  }
  const stopStatus = layer.onStatusChange?.((status) => {
    layerUp = status !== "down";
    observer.layerStatus?.(status === "down" ? "down" : "up");
    if (status === "down") {
      for (const connection of connections) if (connection.catchUpFrom === undefined) connection.catchUpFrom = connection.position;
      // Sockets that know no position (no watermark, nothing stored seen yet) resume from the
      // newest id stored when the outage began.
      outageWatermark = store ? store.currentWatermark().catch(() => null) : Promise.resolve(null);
      logger.warn(`[notifications] channel layer down: ${connections.size} socket(s) will be caught up from their positions when it is back`);
      return;
    }
    void outageWatermark.then((watermark) => {
      if (!closing) catchUp(watermark);
    });
  });

  return {
    settings,
    layer,
    handles: (req) => requestPath(req) === settings.path,
    handleUpgrade(req, socket, head) {
      socket.on("error", destroyOnError);
      upgrade(req, socket, head).catch((error) => {
        logger.error("[notifications] upgrade failed", error);
        refuse(socket, 400, "Bad Request");
      });
    },
    connectionCount: () => connections.size,
    groupSize: (group) => registry.size(group),
    stats({ busiest = 10 } = {}) {
      const sockets = { authenticated: 0, anonymous: 0 };
      const users = new Set<string>();
      const channels = new Set<string>();
      for (const connection of connections) {
        if (connection.user) {
          sockets.authenticated += 1;
          users.add(connection.user.id);
        } else sockets.anonymous += 1;
        for (const channel of connection.channels.keys()) channels.add(channel);
      }
      const sizes = [...registry.sizes()].sort((a, b) => b[1] - a[1]);
      return {
        sockets,
        users: users.size,
        groups: sizes.length,
        channels: channels.size,
        busiest: sizes.slice(0, busiest).map(([group, count]) => ({ group, sockets: count })),
        layerUp,
        closing,
      };
    },
    sweepRevoked,
    presence: async (channel) => (presence && presence.enabled(channel) ? presence.view(channel) : EMPTY_VIEW),
    async close({ drainWindowMs = 0 } = {}) {
      closing = true;
      unmarkLayer();
      clearInterval(heartbeat);
      sessionExpiries.stop();
      clearInterval(revocationSweep);
      stopStatus?.();
      await drain([...connections], drainWindowMs);
      await presence?.close();
      await acks.flush();
      await registry.clear();
      wss.close();
    },
  };
}
