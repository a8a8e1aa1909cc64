/**
 * Runs Next.js and the notifications gateway on one HTTP server, with upgrade routing that
 * Next's own upgrade listener cannot interfere with.
 *
 * Why an EventEmitter for `httpServer`: Next 16 attaches its own `upgrade` listener to the
 * server it is given on the first request, and that listener can end sockets it does not
 * know. We give Next a private emitter instead, route upgrades ourselves, and forward only
 * Next's own paths (dev hot reload under `/_next/`) to it.
 */
import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
// @next/env is CommonJS without detectable named exports: Node's ESM loader only gives its default.
import nextEnv from "@next/env";
import next from "next";
import { authjsAuthenticate } from "./auth/authjs.js";
import { createRevocationList } from "./auth/revocation.js";
import type { Authenticate } from "./auth/session.js";
import type { Authorizer } from "./auth/authorizer.js";
import { createGateway, type Gateway, type GatewayOptions } from "./gateway/index.js";
import { createOpsEndpoints, type Readiness } from "./http/ops.js";
import { createLayerFromEnv } from "./layer/from-env.js";
import { createNotificationMetrics } from "./metrics.js";
import type { ChannelLayer } from "./layer/types.js";
import { loadOptional } from "./optional.js";
import { InvalidSettingError } from "../shared/errors.js";
import type { Notifications } from "./instance.js";
import { installRuntime, uninstallRuntime, type NotificationsRuntime } from "./runtime.js";
import { readSettings, type NotificationSettings } from "./settings.js";
import type { NotificationStore } from "./store/types.js";
import { createLogger, getLogger, setLogger, type NotificationsLogger } from "./logger.js";

/** Pending connections the listening socket queues (see the listen call). */
const LISTEN_BACKLOG = 4_096;

export interface StartOptions {
  /** Development mode (hot reload). Default: `NODE_ENV !== "production"`. */
  dev?: boolean;
  /** The Next.js project directory. Default: the current directory. */
  dir?: string;
  /** Default: `HOSTNAME` or `localhost`. */
  hostname?: string;
  /** Default: `PORT` or 3000. 0 picks a free port (see `url` in the result). */
  port?: number;
  /** Settings given in code, on top of the environment. */
  settings?: Partial<NotificationSettings>;
  /** Default: `createLayerFromEnv(process.env)`: Redis when `REDIS_URL` is set, else in-memory. */
  layer?: ChannelLayer;
  /** Default: Auth.js session cookies, keyed by `AUTH_SECRET`. */
  authenticate?: Authenticate;
  /** Default: deny every client-requested channel. */
  authorizer?: Authorizer;
  /** Passed to the gateway. */
  onAck?: GatewayOptions["onAck"];
  /** Presence on the channels it selects (see the README, "Presence"). Passed to the gateway. */
  presence?: GatewayOptions["presence"];
  /** Consume the Redis outbox stream of HTTP-only publishers (default: on when REDIS_URL is set). */
  outbox?: boolean;
  /**
   * Load the `.env*` files first, the way Next does (`.env.local`, `.env.development` or
   * `.env.production`, `.env`), so `AUTH_SECRET` and the settings in them are seen: a custom server
   * reads `process.env` before Next would load them. Default true.
   */
  loadEnv?: boolean;
  /**
   * Stored notifications (ids, inbox, replay on connect), e.g. `createDrizzleStore(db)`. Default:
   * none. Its cleanup runs while the server runs; the database itself stays the caller's to close.
   */
  store?: NotificationStore;
  /**
   * Where every part of the kit logs (gateway, layers, store cleanup, outbox, start-up checks):
   * any object with `debug`, `info`, `warn` and `error` taking a message (a pino or winston logger
   * fits). Default: `NOTIFICATIONS_LOG_LEVEL` and `NOTIFICATIONS_LOG_FORMAT` (text on the console).
   */
  logger?: NotificationsLogger;
  /**
   * An explicit instance (`createNotifications()`) to serve instead of one built from the
   * environment: its settings, layer, store, `authenticate` and `authorizer` are used (so
   * `settings`, `layer` and `store` must not be given too), and it becomes the process default
   * while the server runs, so the top-level `sendToUser` & co. in Next's bundle reach it. Its layer
   * and store stay the instance's to close (`notifications.close()`).
   */
  notifications?: Notifications;
}

export interface RunningServer {
  server: Server;
  gateway: Gateway;
  /** e.g. `http://localhost:3000` */
  url: string;
  /**
   * Drains (readiness answers 503, new sockets are refused, open ones are closed with 1012 in
   * batches over `NOTIFICATIONS_DRAIN_WINDOW_MS`), then stops accepting, closes Next and the layer.
   * Idempotent.
   */
  close(): Promise<void>;
  /** Readiness as `/readyz` reports it. @example const { ready } = await running.readiness(); */
  readiness(): Promise<Readiness>;
}

/**
 * Auth.js refuses sign-in in production unless it trusts the host it runs behind (`UntrustedHost`),
 * and without a secret nothing works: say so at start-up, not at the first sign-in.
 */
function warnAboutAuthjs(dev: boolean): void {
  if (!process.env.AUTH_SECRET) {
    getLogger().warn("[notifications] AUTH_SECRET is not set (nor in a .env* file): Auth.js sessions cannot be read. Generate one with `npx auth secret` or `openssl rand -base64 32`.");
  }
  if (!dev && !process.env.AUTH_TRUST_HOST && !process.env.AUTH_URL && !process.env.NEXTAUTH_URL && !process.env.VERCEL) {
    getLogger().warn("[notifications] Auth.js does not trust this host in production: set AUTH_TRUST_HOST=true (or AUTH_URL, or trustHost: true in your Auth.js config), or sign-in fails with UntrustedHost.");
  }
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 3000;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`Invalid setting PORT: expected 0–65535, got ${JSON.stringify(raw)}.`);
  return port;
}

/** The runtime to serve: the given instance's, or one built from the environment and the options. */
async function runtimeFor(options: StartOptions): Promise<{ runtime: NotificationsRuntime; ownsLayer: boolean }> {
  if (options.notifications) {
    for (const name of ["settings", "layer", "store"] as const) {
      if (options[name] !== undefined) throw new InvalidSettingError(name, "comes from `notifications`; give one or the other to startNotificationsServer, not both.");
    }
    const runtime = options.notifications.runtime;
    const withHooks = { ...runtime, authenticate: options.authenticate ?? runtime.authenticate, authorizer: options.authorizer ?? runtime.authorizer };
    return { runtime: withHooks, ownsLayer: false };
  }
  const settings = readSettings(process.env, options.settings);
  const layer = options.layer ?? (await createLayerFromEnv(process.env));
  // Revocations made by server actions in this process are known to its gateway at once; with a
  // store they also reach every other process and outlive restarts.
  const revocations = createRevocationList({ store: options.store });
  const runtime: NotificationsRuntime = { settings, layer, store: options.store, revocations, authorizer: options.authorizer };
  if (options.authenticate) runtime.authenticate = options.authenticate;
  return { runtime, ownsLayer: true };
}

/**
 * Starts Next.js with the notifications gateway. This is all `server.ts` needs.
 *
 * @example
 * const running = await startNotificationsServer();
 * console.log(`ready on ${running.url}`);
 * process.once("SIGTERM", () => running.close().then(() => process.exit(0)));
 */
export async function startNotificationsServer(options: StartOptions = {}): Promise<RunningServer> {
  const dev = options.dev ?? process.env.NODE_ENV !== "production";
  if (options.loadEnv !== false) nextEnv.loadEnvConfig(options.dir ?? process.cwd(), dev, { info: () => undefined, error: (...args: unknown[]) => getLogger().error(String(args[0]), ...args.slice(1)) });
  const hostname = options.hostname ?? process.env.HOSTNAME ?? "localhost";
  const port = options.port ?? parsePort(process.env.PORT);
  const { runtime, ownsLayer } = await runtimeFor(options);
  const { settings, layer } = runtime;
  setLogger(options.logger ?? createLogger({ level: settings.logLevel, format: settings.logFormat, processId: settings.processId }));
  warnAboutAuthjs(dev);
  installRuntime(runtime);
  const stopCleanup = runtime.store?.startCleanup();
  // Metrics are read from the gateway when scraped; it exists by then (created right below).
  const metrics = settings.metricsPath !== "" ? await createNotificationMetrics(settings, { stats: () => gateway.stats() }) : undefined;
  if (metrics) runtime.onPublished = metrics.sends.published;
  const gateway = createGateway({
    notifications: { runtime },
    authenticate: runtime.authenticate ?? authjsAuthenticate({ trustProxy: settings.trustedProxies > 0, sessionCacheSize: settings.sessionCacheSize }),
    onAck: options.onAck,
    presence: options.presence,
    observer: metrics?.observer,
  });
  // What getStats() reads from server components and actions (Next's bundle shares the runtime).
  runtime.gateway = gateway;
  const ops = createOpsEndpoints({ settings, stats: () => gateway.stats(), store: runtime.store, registry: metrics?.registry });

  const nextUpgrades = new EventEmitter();
  const app = next({ dev, dir: options.dir, hostname, port, httpServer: nextUpgrades as unknown as Server });
  await app.prepare();
  const handle = app.getRequestHandler();

  const server = createServer((req, res) => {
    if (ops.handle(req, res)) return;
    handle(req, res).catch((error: unknown) => {
      getLogger().error("[server] request failed", error);
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (gateway.handles(req)) return gateway.handleUpgrade(req, socket, head);
    if (dev && req.url?.startsWith("/_next/")) return void nextUpgrades.emit("upgrade", req, socket, head);
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // A deploy's reconnect storm opens thousands of connections at once; Node's default queue of
    // 511 pending connections overflowed (bench/README.md: a third of 1,000 attempts dropped, each
    // retried a second later). The kernel caps it at net.core.somaxconn.
    server.listen({ port, host: hostname, backlog: LISTEN_BACKLOG }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  // With Redis, HTTP-only publishers (edge, serverless: createUpstashPublisher) queue sends on
  // a stream; exactly one gateway process takes each entry, stores it and publishes it.
  const redisUrl = process.env.REDIS_URL?.trim();
  const outbox =
    redisUrl && options.outbox !== false
      ? (await loadOptional("ioredis", "REDIS_URL (the outbox consumer)", () => import("./layer/outbox-consumer.js"))).startOutboxConsumer({ redisUrl, runtime, onLag: metrics?.outboxLag })
      : undefined;

  let closing: Promise<void> | undefined;
  return {
    server,
    gateway,
    url: `http://${host}:${address.port}`,
    readiness: () => ops.readiness(),
    close() {
      closing ??= (async () => {
        // Draining first, while HTTP still answers: a load balancer sees readiness fail and stops
        // sending sockets here, and the open ones leave in batches, not all in the same second.
        ops.startDraining();
        await gateway.close({ drainWindowMs: settings.drainWindowMs });
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await outbox?.close();
        server.closeAllConnections();
        await stopped;
        await app.close().catch(() => undefined);
        if (ownsLayer) await layer.close();
        stopCleanup?.();
        metrics?.stop();
        if (runtime.gateway === gateway) delete runtime.gateway;
        if (runtime.onPublished === metrics?.sends.published) delete runtime.onPublished;
        uninstallRuntime(runtime);
      })();
      return closing;
    },
  };
}
