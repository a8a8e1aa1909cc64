/**
 * The websocket gateway: accepts sockets on the notifications path, derives their groups from
 * the session and the gates, joins them to the channel layer, and keeps them healthy.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { userGroup } from "../../shared/channels";
import { CloseCode } from "../../shared/close-codes";
import { parseClientFrame, type ClientFrame, type PingFrame } from "../../shared/protocol";
import type { Authenticate, SocketUser } from "../auth/session";
import { denyAll, type Authorizer } from "../auth/authorizer";
import { createMemoryLayer } from "../layer/memory";
import type { ChannelLayer } from "../layer/types";
import { readSettings, type NotificationSettings } from "../settings";
import { LAST_ID_PARAM, parseLastId } from "../store/replay";
import type { NotificationStore } from "../store/types";
import { Connection } from "./connection";
import { CONTROL_REAUTHENTICATE } from "./control";
import { prepareTextFrame } from "./frame";
import { FrameQueues } from "./frame-queue";
import { GroupRegistry } from "./groups";
import { Membership } from "./membership";
import { fetchReplay, type ReplayRequest } from "./replay-step";
import { isOriginAllowed, parseExtraChannels, refuseUpgrade, requestPath, requestQuery } from "./handshake";

/** The heartbeat's text frame, built once. */
const PING_FRAME = prepareTextFrame(JSON.stringify({ type: "ping" } satisfies PingFrame));

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
  const logger = options.logger ?? console;
  const replayTimeoutMs = options.replayTimeoutMs ?? options.store?.settings.replayTimeoutMs ?? 5_000;
  const registry = new GroupRegistry<Connection>(layer);
  const membership = new Membership(
    settings,
    registry,
    { authorizer: options.authorizer ?? denyAll, maxNameLength: settings.maxChannelNameLength, timeoutMs: options.authorizerTimeoutMs ?? 2_000 },
    options.tokenSecret,
  );
  const frameQueues = new FrameQueues<Connection>(MAX_PENDING_SUBSCRIPTION_FRAMES, (error) => logger.error("[notifications] client frame failed", error));
  const connections = new Set<Connection>();
  let closing = false;

  // perMessageDeflate off: compressing each frame per socket would undo serialise-once, and
  // small JSON frames gain little. maxPayload bounds what a client can make us buffer.
  const wss = new WebSocketServer({ noServer: true, maxPayload: settings.maxFrameBytes, perMessageDeflate: false, clientTracking: false });

  // Each beat: a protocol ping (the browser answers by itself; no pong by the next beat means
  // the peer is gone) and a tiny text ping, framed once for everyone, which the browser can see.
  const heartbeat = setInterval(() => {
    for (const connection of connections) {
      if (!connection.alive) {
        connection.ws.terminate();
        continue;
      }
      connection.alive = false;
      connection.ws.ping();
      connection.deliver(PING_FRAME.payload, PING_FRAME.wire);
    }
  }, settings.heartbeatMs);
  heartbeat.unref();

  /** Takes the socket out of every group at once, then closes it with `code`. */
  function shut(connection: Connection, code: CloseCode, reason: string, graceMs?: number): void {
    membership.leaveAll(connection);
    connection.close(code, reason, graceMs);
  }

  /**
   * Another process asked this socket's group to re-authenticate (e.g. after sign-out): the
   * client reconnects at once and its handshake is judged on the cookie it has now.
   */
  function onControl(connection: Connection, action: string): void {
    if (action === CONTROL_REAUTHENTICATE) shut(connection, CloseCode.SESSION_ENDED, "session changed");
  }

  function dropSlowConsumer(connection: Connection): void {
    if (connection.closing) return;
    logger.warn(`[notifications] closing a slow client (more than ${settings.maxBufferedBytes} bytes queued)`);
    shut(connection, CloseCode.SLOW_CONSUMER, "slow consumer", 250);
  }

  /** Sends what the store owes this one socket (never the whole group). */
  async function replay(connection: Connection, request: ReplayRequest): Promise<void> {
    if (!options.store || connection.closing) return;
    const frames = await fetchReplay(options.store, request, { timeoutMs: replayTimeoutMs, logger });
    if (connection.closing) return;
    for (const text of frames) connection.deliver(Buffer.from(text));
  }

  async function handleFrame(connection: Connection, frame: ClientFrame): Promise<void> {
    switch (frame.type) {
      case "ack_message":
      case "ack": {
        const own = connection.user ? userGroup(connection.user.id) : null;
        const ids = frame.type === "ack" ? frame.ids : [frame.id];
        if (own && connection.groups.has(own)) {
          await options.store?.ackInbox(ids.map((id) => ({ group: own, id }))).catch((error: unknown) => logger.error("[notifications] could not record an ack", error));
        }
        for (const id of ids) await options.onAck?.({ id, user: connection.user, groups: connection.groups });
        return;
      }
      case "subscribe": {
        const holder = frame.ref ?? null;
        const before = new Set(connection.channels.keys());
        const granted = new Set<string>();
        if (frame.token !== undefined) {
          for (const name of await membership.addChannels(connection, membership.tokenChannels(connection, frame.token), holder, true)) granted.add(name);
        }
        for (const name of await membership.addChannels(connection, frame.channels ?? [], holder)) granted.add(name);
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
        if (frame.channels !== undefined) membership.dropChannels(connection, frame.channels);
        else if (frame.ref !== undefined) membership.releaseRef(connection, frame.ref);
        connection.sendFrame({ type: "subscribed", ref: frame.ref, channels: [...connection.channels.keys()], granted: [] });
        return;
    }
  }

  function onMessage(connection: Connection, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    connection.alive = true;
    if (!connection.allowClientFrame()) return shut(connection, CloseCode.POLICY_VIOLATION, "too many frames");
    if (isBinary) return connection.sendFrame({ type: "error", code: "binary_frame" });
    const text = Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data as ArrayBuffer).toString("utf8");
    const parsed = parseClientFrame(text);
    if (!parsed.ok) return connection.sendFrame({ type: "error", code: parsed.code });
    const frame = parsed.frame;
    // Acks need no ordering with subscriptions; they skip the queue.
    if (frame.type === "ack_message" || frame.type === "ack") {
      handleFrame(connection, frame).catch((error) => logger.error("[notifications] client frame failed", error));
      return;
    }
    const queued = frameQueues.enqueue(connection, () => (connection.closing ? Promise.resolve() : handleFrame(connection, frame)));
    if (!queued) shut(connection, CloseCode.POLICY_VIOLATION, "too many pending frames");
  }

  async function accept(ws: WebSocket, user: SocketUser | null, requested: string[], token: string | null, lastId: number | null = null): Promise<void> {
    const connection = new Connection(ws, user, settings, dropSlowConsumer, onControl);
    connections.add(connection);
    // Subscription frames wait for the handshake's own subscriptions (and come after hello).
    const handshakeDone = frameQueues.hold(connection);
    ws.on("pong", () => {
      connection.alive = true;
    });
    ws.on("message", (data, isBinary) => onMessage(connection, data, isBinary));
    ws.on("error", () => undefined); // 'close' follows; the error itself needs no handling.
    ws.on("close", () => {
      connections.delete(connection);
      connection.dispose();
      membership.leaveAll(connection);
    });
    connection.armSessionExpiry(() => shut(connection, CloseCode.SESSION_ENDED, "session expired"));
    try {
      await membership.join(connection, trustedGroups(settings, user));
      await membership.addChannels(connection, membership.tokenChannels(connection, token), null, true);
      await membership.addChannels(connection, requested, null);
    } catch (error) {
      logger.error("[notifications] could not subscribe a new socket", error);
      shut(connection, CloseCode.SERVICE_RESTART, "subscription failed");
      handshakeDone();
      return;
    }
    // After joining (nothing sent meanwhile falls in a gap; the client dedupes by id), before hello.
    const ownGroup = user ? userGroup(user.id) : null;
    await replay(connection, { groups: connection.groups, userGroup: ownGroup && connection.groups.has(ownGroup) ? ownGroup : null, lastId });
    connection.sendFrame({ type: "hello", protocol: 1, userId: user?.id ?? null, channels: [...connection.channels.keys()], heartbeatMs: settings.heartbeatMs });
    handshakeDone();
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
