/**
 * The websocket gateway: accepts sockets on the notifications path, derives their groups from
 * the session and the gates, joins them to the channel layer, and keeps them healthy.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { userGroup } from "../../shared/channels";
import { CloseCode } from "../../shared/close-codes";
import { parseClientFrame, type ClientFrame } from "../../shared/protocol";
import type { Authenticate, SocketUser } from "../auth/session";
import { authorizeChannels, denyAll, type Authorizer } from "../auth/authorizer";
import { verifySubscriptionToken } from "../auth/tokens";
import { createMemoryLayer } from "../layer/memory";
import type { ChannelLayer } from "../layer/types";
import { readSettings, type NotificationSettings } from "../settings";
import { LAST_ID_PARAM, parseLastId, replayFrames } from "../store/replay";
import type { NotificationStore } from "../store/types";
import { Connection, type Holder } from "./connection";
import { CONTROL_REAUTHENTICATE } from "./control";
import { GroupRegistry } from "./groups";
import { isOriginAllowed, parseExtraChannels, refuseUpgrade, requestPath, requestQuery } from "./handshake";

/** Subscription frames one socket may have waiting (a flood of them is closed with 1008). */
const MAX_PENDING_SUBSCRIPTION_FRAMES = 64;

/** An acknowledgement received from a socket. */
export interface AckEvent {
  id: number;
  user: SocketUser | null;
  /** The groups the acking socket is in: an ack only counts for rows it could receive. */
  groups: ReadonlySet<string>;
}

export interface GatewayOptions {
  /** Defaults to `readSettings()` (environment). */
  settings?: NotificationSettings;
  /** Defaults to a new in-memory layer. */
  layer?: ChannelLayer;
  /** Resolves the user of a handshake. Defaults to everyone anonymous. */
  authenticate?: Authenticate;
  /** Decides client-requested channels. Defaults to deny all. */
  authorizer?: Authorizer;
  /** Key of subscription tokens. Defaults to AUTH_SECRET. */
  tokenSecret?: string;
  /** An authorizer slower than this denies. Default 2000 ms. */
  authorizerTimeoutMs?: number;
  /** Called for each well-formed `ack_message` frame (after the store, if any, recorded it). */
  onAck?: (ack: AckEvent) => void | Promise<void>;
  /**
   * Stored notifications: each new socket is sent its pending inbox, what its groups missed since
   * its `?lastId=`, and the latest progress of its groups (that socket only, before `hello`);
   * acks are recorded. Defaults to none (nothing replayed).
   */
  store?: NotificationStore;
  /**
   * How long a new socket (or a subscribe) waits for the store's replay before going on without
   * it: `hello` is sent, live frames flow, and the timeout is logged. Default: the store's
   * `replayTimeoutMs` setting (`NOTIFICATIONS_REPLAY_TIMEOUT_MS`, 5 s).
   */
  replayTimeoutMs?: number;
  /** Where problems are reported. Defaults to `console`. */
  logger?: Pick<Console, "warn" | "error">;
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
  /** Closes every socket with 1012 (clients reconnect promptly) and stops the heartbeat. Does not close the layer. */
  close(): Promise<void>;
}

/** Groups a socket joins by who it is, given the gates. */
export function trustedGroups(settings: NotificationSettings, user: SocketUser | null): string[] {
  const groups: string[] = [];
  if (settings.enableAll) groups.push("all");
  if (user && settings.enableAuthenticated) groups.push("authenticated", userGroup(user.id));
  if (!user && settings.enableAnonymous) groups.push("anonymous");
  return groups;
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
export function createGateway(options: GatewayOptions = {}): Gateway {
  const settings = options.settings ?? readSettings();
  const layer = options.layer ?? createMemoryLayer();
  const authenticate: Authenticate = options.authenticate ?? (async () => null);
  const authorizeOptions = {
    authorizer: options.authorizer ?? denyAll,
    maxNameLength: settings.maxChannelNameLength,
    timeoutMs: options.authorizerTimeoutMs ?? 2_000,
  };
  const logger = options.logger ?? console;
  const replayTimeoutMs = options.replayTimeoutMs ?? options.store?.settings.replayTimeoutMs ?? 5_000;
  const registry = new GroupRegistry<Connection>(layer);
  const connections = new Set<Connection>();
  /**
   * Subscription frames of one socket run one at a time, in arrival order, after its handshake
   * subscriptions: otherwise an `unsubscribe` (page left) could finish before the slow
   * authorization of the `subscribe` it follows, and the socket would keep the old page's channel.
   */
  const frameQueues = new WeakMap<Connection, { tail: Promise<void>; pending: number }>();
  let closing = false;

  // perMessageDeflate off: compressing each frame per socket would undo serialise-once, and
  // small JSON frames gain little. maxPayload bounds what a client can make us buffer.
  const wss = new WebSocketServer({ noServer: true, maxPayload: settings.maxFrameBytes, perMessageDeflate: false, clientTracking: false });

  const heartbeat = setInterval(() => {
    for (const connection of connections) {
      if (!connection.alive) {
        connection.ws.terminate();
        continue;
      }
      connection.alive = false;
      connection.ws.ping();
    }
  }, settings.heartbeatMs);
  heartbeat.unref();

  function leaveAll(connection: Connection): void {
    for (const group of connection.groups) registry.leave(group, connection);
    connection.groups.clear();
    connection.clearChannels();
  }

  /**
   * Another process asked this socket's group to re-authenticate (e.g. after sign-out): the
   * client reconnects at once and its handshake is judged on the cookie it has now.
   */
  function onControl(connection: Connection, action: string): void {
    if (action !== CONTROL_REAUTHENTICATE) return;
    leaveAll(connection);
    connection.close(CloseCode.SESSION_ENDED, "session changed");
  }

  function dropSlowConsumer(connection: Connection): void {
    if (connection.closing) return;
    leaveAll(connection);
    logger.warn(`[notifications] closing a slow client (more than ${settings.maxBufferedBytes} bytes queued)`);
    connection.close(CloseCode.SLOW_CONSUMER, "slow consumer", 250);
  }

  async function join(connection: Connection, groups: readonly string[]): Promise<void> {
    for (const group of groups) {
      if (connection.closing || connection.groups.has(group)) continue;
      connection.groups.add(group);
      await registry.join(group, connection);
      // The socket may have closed while we waited for the layer.
      if (connection.closing) registry.leave(group, connection);
    }
  }

  /**
   * Grants what the authorizer allows (or, for channels carried by a verified token, what the
   * token names), within the per-socket limit of distinct channels, holds it for `holder` and
   * joins what is new. A channel the socket already holds is shared with `holder` (it takes no
   * room; a name is still put to the authorizer). Returns what `holder` was granted.
   */
  async function addChannels(connection: Connection, requested: readonly string[], holder: Holder, viaToken = false): Promise<string[]> {
    if (!settings.enablePageChannels || requested.length === 0) return [];
    let room = settings.maxChannelsPerSocket - connection.channels.size;
    const candidates: string[] = [];
    for (const name of new Set(requested)) {
      if (connection.channels.has(name)) candidates.push(name);
      else if (room > 0) {
        candidates.push(name);
        room -= 1;
      }
    }
    if (candidates.length === 0) return [];
    const allowed = viaToken
      ? candidates.filter((name) => name.length <= settings.maxChannelNameLength)
      : await authorizeChannels(authorizeOptions, connection.principal, candidates);
    if (connection.closing) return [];
    const granted: string[] = [];
    const fresh: string[] = [];
    for (const name of allowed) {
      const held = connection.channels.has(name);
      // Trusted groups are never channels; the limit is re-checked (the answer may have taken time).
      if (!held && (connection.groups.has(name) || connection.channels.size >= settings.maxChannelsPerSocket)) continue;
      if (connection.hold(name, holder)) fresh.push(name);
      granted.push(name);
    }
    await join(connection, fresh);
    return granted;
  }

  /** Leaves a channel the socket no longer holds. */
  function leaveChannel(connection: Connection, name: string): void {
    connection.groups.delete(name);
    registry.leave(name, connection);
  }

  /** The original `channels` unsubscribe: drops them outright, whichever requests held them. */
  function dropChannels(connection: Connection, names: readonly string[]): void {
    for (const name of names) if (connection.dropChannel(name)) leaveChannel(connection, name);
  }

  /** Releases the holds of the subscribe `ref`; leaves only what no other request still holds. */
  function releaseRef(connection: Connection, ref: string): void {
    for (const name of connection.release(ref)) leaveChannel(connection, name);
  }

  async function handleFrame(connection: Connection, frame: ClientFrame): Promise<void> {
    switch (frame.type) {
      case "ack_message":
        await options.store?.ack(frame.id, { groups: connection.groups }).catch((error) => logger.error("[notifications] could not record an ack", error));
        await options.onAck?.({ id: frame.id, user: connection.user, groups: connection.groups });
        return;
      case "subscribe": {
        const holder = frame.ref ?? null;
        const before = new Set(connection.channels.keys());
        const granted = new Set<string>();
        if (frame.token !== undefined) for (const name of await addChannels(connection, tokenChannels(connection, frame.token), holder, true)) granted.add(name);
        for (const name of await addChannels(connection, frame.channels ?? [], holder)) granted.add(name);
        // A late subscriber gets the current progress of what it just joined, before the answer.
        await replay(connection, { groups: [...connection.channels.keys()].filter((name) => !before.has(name)), userGroup: null, lastId: null });
        connection.sendFrame({
          type: "subscribed",
          ref: frame.ref,
          channels: [...connection.channels.keys()],
          // A ref sent again holds what all its subscribes were granted.
          granted: holder === null ? [...granted] : connection.heldBy(holder),
        });
        return;
      }
      case "unsubscribe":
        if (frame.channels !== undefined) dropChannels(connection, frame.channels);
        else if (frame.ref !== undefined) releaseRef(connection, frame.ref);
        connection.sendFrame({ type: "subscribed", ref: frame.ref, channels: [...connection.channels.keys()], granted: [] });
        return;
    }
  }

  /** Channels a subscription token grants this socket; none when it is not valid for it. */
  function tokenChannels(connection: Connection, token: string | null): string[] {
    if (!token) return [];
    return verifySubscriptionToken(token, connection.user?.id ?? null, { secret: options.tokenSecret }) ?? [];
  }

  function onMessage(connection: Connection, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    connection.alive = true;
    if (!connection.allowClientFrame()) {
      leaveAll(connection);
      connection.close(CloseCode.POLICY_VIOLATION, "too many frames");
      return;
    }
    if (isBinary) return connection.sendFrame({ type: "error", code: "binary_frame" });
    const text = Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data as ArrayBuffer).toString("utf8");
    const parsed = parseClientFrame(text);
    if (!parsed.ok) return connection.sendFrame({ type: "error", code: parsed.code });
    const frame = parsed.frame;
    if (frame.type === "ack_message") {
      handleFrame(connection, frame).catch((error) => logger.error("[notifications] client frame failed", error));
      return;
    }
    let queue = frameQueues.get(connection);
    if (!queue) {
      queue = { tail: Promise.resolve(), pending: 0 };
      frameQueues.set(connection, queue);
    }
    const current = queue;
    // The rate limit bounds arrivals, not a slow authorizer: bound what waits too.
    if (queue.pending >= MAX_PENDING_SUBSCRIPTION_FRAMES) {
      leaveAll(connection);
      connection.close(CloseCode.POLICY_VIOLATION, "too many pending frames");
      return;
    }
    current.pending += 1;
    current.tail = current.tail
      .then(() => (connection.closing ? undefined : handleFrame(connection, frame)))
      .catch((error) => logger.error("[notifications] client frame failed", error))
      .finally(() => {
        current.pending -= 1;
        dropIdleQueue(connection, current);
      });
  }

  /** Idle sockets keep no queue (memory per connection): the next frame makes a new one. */
  function dropIdleQueue(connection: Connection, queue: { pending: number }): void {
    if (queue.pending === 0 && frameQueues.get(connection) === queue) frameQueues.delete(connection);
  }

  /**
   * Sends stored frames to this one socket. A failing store is logged; the socket keeps working.
   * A hanging one (a database that accepts connections but never answers) is given up on after
   * the replay timeout, so `hello` is never held hostage: what was not replayed is either an
   * unacknowledged inbox row (replayed on the next connect) or recoverable within the window.
   */
  async function replay(connection: Connection, request: Parameters<typeof replayFrames>[1]): Promise<void> {
    if (!options.store || connection.closing) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), replayTimeoutMs);
      timer.unref();
    });
    const work = replayFrames(options.store, request);
    // A late failure after the timeout must not become an unhandled rejection.
    work.catch(() => undefined);
    try {
      const frames = await Promise.race([work, timedOut]);
      if (frames === "timeout") {
        logger.warn(`[notifications] replay took longer than ${replayTimeoutMs} ms; the socket goes on without it`);
        return;
      }
      if (connection.closing) return;
      for (const text of frames) connection.deliver(Buffer.from(text));
    } catch (error) {
      logger.error("[notifications] could not replay stored notifications", error);
    } finally {
      clearTimeout(timer);
    }
  }

  async function accept(ws: WebSocket, user: SocketUser | null, requested: string[], token: string | null, lastId: number | null = null): Promise<void> {
    const connection = new Connection(ws, user, settings, dropSlowConsumer, onControl);
    connections.add(connection);
    let releaseHandshake: () => void = () => undefined;
    const handshakeQueue = { tail: new Promise<void>((resolve) => (releaseHandshake = resolve)), pending: 0 };
    frameQueues.set(connection, handshakeQueue);
    const handshakeSubscribed = () => {
      releaseHandshake();
      dropIdleQueue(connection, handshakeQueue);
    };
    ws.on("pong", () => {
      connection.alive = true;
    });
    ws.on("message", (data, isBinary) => onMessage(connection, data, isBinary));
    ws.on("error", () => undefined); // 'close' follows; the error itself needs no handling.
    ws.on("close", () => {
      connections.delete(connection);
      connection.dispose();
      leaveAll(connection);
    });
    connection.armSessionExpiry(() => {
      leaveAll(connection);
      connection.close(CloseCode.SESSION_ENDED, "session expired");
    });
    try {
      await join(connection, trustedGroups(settings, user));
      await addChannels(connection, tokenChannels(connection, token), null, true);
      await addChannels(connection, requested, null);
    } catch (error) {
      logger.error("[notifications] could not subscribe a new socket", error);
      leaveAll(connection);
      connection.close(CloseCode.SERVICE_RESTART, "subscription failed");
      handshakeSubscribed();
      return;
    }
    // After joining (nothing sent meanwhile falls in a gap; the client dedupes by id), before hello.
    const ownGroup = user ? userGroup(user.id) : null;
    await replay(connection, { groups: connection.groups, userGroup: ownGroup && connection.groups.has(ownGroup) ? ownGroup : null, lastId });
    connection.sendFrame({ type: "hello", protocol: 1, userId: user?.id ?? null, channels: [...connection.channels.keys()], heartbeatMs: settings.heartbeatMs });
    handshakeSubscribed();
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (closing) return refuseUpgrade(socket, 503, "Server is shutting down");
    if (!isOriginAllowed(req, settings.allowedOrigins)) return refuseUpgrade(socket, 403, "Origin not allowed");
    let user: SocketUser | null = null;
    try {
      user = await authenticate(req);
    } catch (error) {
      logger.error("[notifications] authenticate threw; treating the socket as anonymous", error);
    }
    if (!user && !settings.enableAnonymous) return refuseUpgrade(socket, 403, "Anonymous connections are disabled");
    if (socket.destroyed) return;
    const query = requestQuery(req);
    const requested = parseExtraChannels(query.get("extraChannels"), settings.maxChannelsPerSocket);
    const token = query.get("subscription_token");
    const lastId = parseLastId(query.get(LAST_ID_PARAM));
    wss.handleUpgrade(req, socket, head, (ws) => {
      accept(ws, user, requested, token, lastId).catch((error) => logger.error("[notifications] accept failed", error));
    });
  }

  return {
    settings,
    layer,
    handles: (req) => requestPath(req) === settings.path,
    handleUpgrade(req, socket, head) {
      // Until ws owns the socket, a reset from the peer must not become an uncaught error.
      socket.on("error", () => socket.destroy());
      upgrade(req, socket, head).catch((error) => {
        logger.error("[notifications] upgrade failed", error);
        refuseUpgrade(socket, 400, "Bad Request");
      });
    },
    connectionCount: () => connections.size,
    groupSize: (group) => registry.size(group),
    async close() {
      closing = true;
      clearInterval(heartbeat);
      const closed = [...connections].map(
        (connection) =>
          new Promise<void>((resolve) => {
            connection.ws.once("close", () => resolve());
            connection.close(CloseCode.SERVICE_RESTART, "server restarting", 1_000);
          }),
      );
      await Promise.all(closed);
      await registry.clear();
      wss.close();
    },
  };
}
