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
import next from "next";
import { authjsAuthenticate } from "./auth/authjs";
import { createRevocationList } from "./auth/revocation";
import type { Authenticate } from "./auth/session";
import type { Authorizer } from "./auth/authorizer";
import { createGateway, type Gateway, type GatewayOptions } from "./gateway";
import { createLayerFromEnv } from "./layer/from-env";
import { startOutboxConsumer } from "./layer/outbox-consumer";
import type { ChannelLayer } from "./layer/types";
import { installRuntime, uninstallRuntime } from "./runtime";
import { readSettings, type NotificationSettings } from "./settings";
import type { NotificationStore } from "./store/types";

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
  /** Consume the Redis outbox stream of HTTP-only publishers (default: on when REDIS_URL is set). */
  outbox?: boolean;
  /**
   * Stored notifications (ids, inbox, replay on connect), e.g. `createDrizzleStore(db)`. Default:
   * none. Its cleanup runs while the server runs; the database itself stays the caller's to close.
   */
  store?: NotificationStore;
}

export interface RunningServer {
  server: Server;
  gateway: Gateway;
  /** e.g. `http://localhost:3000` */
  url: string;
  /** Closes sockets with 1012, stops accepting, closes Next and the layer. Idempotent. */
  close(): Promise<void>;
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 3000;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`Invalid setting PORT: expected 0–65535, got ${JSON.stringify(raw)}.`);
  return port;
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
  const hostname = options.hostname ?? process.env.HOSTNAME ?? "localhost";
  const port = options.port ?? parsePort(process.env.PORT);
  const settings = readSettings(process.env, options.settings);
  const layer = options.layer ?? createLayerFromEnv(process.env);
  // Revocations made by server actions in this process are known to its gateway at once; with a
  // store they also reach every other process and outlive restarts.
  const revocations = createRevocationList({ store: options.store });
  const runtime = installRuntime({ settings, layer, store: options.store, revocations });
  const stopCleanup = options.store?.startCleanup();
  const gateway = createGateway({
    settings,
    layer,
    authenticate: options.authenticate ?? authjsAuthenticate({ trustProxy: settings.trustedProxies > 0 }),
    authorizer: options.authorizer,
    onAck: options.onAck,
    store: options.store,
    revocations,
  });

  const nextUpgrades = new EventEmitter();
  const app = next({ dev, dir: options.dir, hostname, port, httpServer: nextUpgrades as unknown as Server });
  await app.prepare();
  const handle = app.getRequestHandler();

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error("[server] request failed", error);
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
    server.listen(port, hostname, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  // With Redis, HTTP-only publishers (edge, serverless: createUpstashPublisher) queue sends on
  // a stream; exactly one gateway process takes each entry, stores it and publishes it.
  const redisUrl = process.env.REDIS_URL?.trim();
  const outbox = redisUrl && options.outbox !== false ? startOutboxConsumer({ redisUrl, runtime }) : undefined;

  let closing: Promise<void> | undefined;
  return {
    server,
    gateway,
    url: `http://${host}:${address.port}`,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await gateway.close();
        await outbox?.close();
        server.closeAllConnections();
        await stopped;
        await app.close().catch(() => undefined);
        await layer.close();
        stopCleanup?.();
        uninstallRuntime(runtime);
      })();
      return closing;
    },
  };
}
