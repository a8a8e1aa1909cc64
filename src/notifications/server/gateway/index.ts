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
import { createMemoryLayer } from "../layer/memory";
import type { ChannelLayer } from "../layer/types";
import { readSettings, type NotificationSettings } from "../settings";
import { Connection } from "./connection";
import { GroupRegistry } from "./groups";
import { isOriginAllowed, parseExtraChannels, refuseUpgrade, requestPath, requestQuery } from "./handshake";

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
  /** An authorizer slower than this denies. Default 2000 ms. */
  authorizerTimeoutMs?: number;
  /** Called for each well-formed `ack_message` frame. */
  onAck?: (ack: AckEvent) => void | Promise<void>;
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
  const registry = new GroupRegistry<Connection>(layer);
  const connections = new Set<Connection>();
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
    connection.channels.clear();
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

  /** Grants what the authorizer allows, within the per-socket limit, and joins it. */
  async function addChannels(connection: Connection, requested: readonly string[]): Promise<void> {
    if (!settings.enablePageChannels || requested.length === 0) return;
    const room = settings.maxChannelsPerSocket - connection.channels.size;
    if (room <= 0) return;
    const fresh = [...new Set(requested)].filter((name) => !connection.channels.has(name)).slice(0, room);
    const granted = await authorizeChannels(authorizeOptions, connection.principal, fresh);
    const allowed = granted.filter((name) => !connection.groups.has(name)).slice(0, settings.maxChannelsPerSocket - connection.channels.size);
    for (const name of allowed) connection.channels.add(name);
    await join(connection, allowed);
  }

  function removeChannels(connection: Connection, names: readonly string[]): void {
    for (const name of names) {
      if (!connection.channels.delete(name)) continue;
      connection.groups.delete(name);
      registry.leave(name, connection);
    }
  }

  async function handleFrame(connection: Connection, frame: ClientFrame): Promise<void> {
    switch (frame.type) {
      case "ack_message":
        await options.onAck?.({ id: frame.id, user: connection.user, groups: connection.groups });
        return;
      case "subscribe":
        await addChannels(connection, frame.channels ?? []);
        connection.sendFrame({ type: "subscribed", ref: frame.ref, channels: [...connection.channels] });
        return;
      case "unsubscribe":
        removeChannels(connection, frame.channels);
        connection.sendFrame({ type: "subscribed", ref: frame.ref, channels: [...connection.channels] });
        return;
    }
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
    handleFrame(connection, parsed.frame).catch((error) => logger.error("[notifications] client frame failed", error));
  }

  async function accept(ws: WebSocket, user: SocketUser | null, requested: string[]): Promise<void> {
    const connection = new Connection(ws, user, settings, dropSlowConsumer);
    connections.add(connection);
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
      await addChannels(connection, requested);
    } catch (error) {
      logger.error("[notifications] could not subscribe a new socket", error);
      leaveAll(connection);
      connection.close(CloseCode.SERVICE_RESTART, "subscription failed");
      return;
    }
    connection.sendFrame({ type: "hello", protocol: 1, userId: user?.id ?? null, channels: [...connection.channels], heartbeatMs: settings.heartbeatMs });
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
    const requested = parseExtraChannels(requestQuery(req).get("extraChannels"), settings.maxChannelsPerSocket);
    wss.handleUpgrade(req, socket, head, (ws) => {
      accept(ws, user, requested).catch((error) => logger.error("[notifications] accept failed", error));
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
