/**
 * The process-wide runtime: settings + channel layer, shared by every caller of the send API.
 *
 * Why `globalThis`: the custom server (`server.ts`, run by tsx) and Next's compiled bundle
 * (server actions, route handlers) are two separate module graphs in one process. A module
 * singleton would exist twice; a `Symbol.for` key on `globalThis` exists once.
 *
 * This module is part of `next-channels-broadcast/server`, which Next bundles: it never imports
 * Redis, a database driver or `ws`. The runtime is installed by `startNotificationsServer` (the
 * custom server) or by `connectFromEnv()` (a worker), both in `next-channels-broadcast/node`.
 */
import type { Authorizer } from "./auth/authorizer.js";
import type { RevocationList } from "./auth/revocation.js";
import type { Authenticate } from "./auth/session.js";
import { createMemoryLayer } from "./layer/memory.js";
import type { ChannelLayer } from "./layer/types.js";
import { readSettings, type NotificationSettings } from "./settings.js";
import type { GatewayStats } from "./gateway/index.js";
import type { NotificationStore } from "./store/types.js";

export interface NotificationsRuntime {
  settings: NotificationSettings;
  layer: ChannelLayer;
  /** When set, sends are stored first (ids, inbox, replay); see `store/`. */
  store?: NotificationStore;
  /**
   * Revoked sessions known to this process (`revokeSession` records here too, so the gateway of
   * this process knows at once even without a store). Set by `startNotificationsServer`.
   */
  revocations?: RevocationList;
  /** Who is behind a websocket handshake, for a gateway made from this runtime. Default: the gateway's. */
  authenticate?: Authenticate;
  /** Decides client-requested channels, for a gateway made from this runtime. Default: deny all. */
  authorizer?: Authorizer;
  /** Key of subscription tokens (issued and checked). Default: `AUTH_SECRET`. */
  tokenSecret?: string;
  /** Told of every published send (kind and audience): the metrics' counter. Must not throw. */
  onPublished?: (kind: string, audience: string) => void;
  /** The gateway serving this runtime in this process, if any (set by `startNotificationsServer`): what `getStats()` reads. */
  gateway?: { stats(options?: { busiest?: number }): GatewayStats; groupSize(group: string): number };
  /** The latest sends of this process, newest last (`getStats().recentSends`). */
  recentSends?: RecentSend[];
}

/** One send as `getStats()` lists it. */
export interface RecentSend {
  /** When it was published (ISO 8601). */
  at: string;
  /** message, redirect, progress, event or refresh. */
  kind: string;
  /** all, authenticated, anonymous, user, object or channel. */
  audience: string;
  /** The group it was published to (`user:<id>`, `articles-1`…). */
  group: string;
  /** The stored row's id, when it was stored. */
  id?: number;
  /** Sockets of this process in the group when it was published (null without a gateway here; other processes not counted). */
  receivers: number | null;
}

const RUNTIME_KEY = Symbol.for("next-channels-broadcast.runtime");

type RuntimeHolder = { [RUNTIME_KEY]?: NotificationsRuntime };
const holder = globalThis as RuntimeHolder;

/**
 * Makes `runtime` the one the send API uses in this process. `server.ts` calls this before
 * Next handles its first request.
 *
 * @example
 * installRuntime({ settings: readSettings(), layer: createMemoryLayer() });
 */
export function installRuntime(runtime: NotificationsRuntime): NotificationsRuntime {
  holder[RUNTIME_KEY] = runtime;
  return runtime;
}

/** Forgets the installed runtime (tests, shutdown). Does not close its layer. */
export function uninstallRuntime(runtime?: NotificationsRuntime): void {
  if (!runtime || holder[RUNTIME_KEY] === runtime) delete holder[RUNTIME_KEY];
}

/**
 * The runtime in use: the one `startNotificationsServer` (server.ts) or `connectFromEnv()` (a
 * worker) installed. When none was — `next dev` / `next start` without the custom server, or a
 * script that forgot `connectFromEnv()` — a process-local runtime (the in-memory layer, no store)
 * stands in; its first send warns in development that it reaches nobody (see `reach.ts`).
 *
 * @example
 * const { settings, layer, store } = getRuntime();
 * console.log(`${layer.kind} layer, ${store ? "stored" : "live-only"} sends, anonymous ${settings.enableAnonymous ? "on" : "off"}`);
 */
export function getRuntime(): NotificationsRuntime {
  return holder[RUNTIME_KEY] ?? installRuntime({ settings: readSettings(), layer: createMemoryLayer() });
}

/**
 * Closes the installed runtime's layer and store (and forgets the runtime). For scripts and
 * workers. A store created by `connectFromEnv()` ends its PostgreSQL pool; an app's own
 * `createDrizzleStore(db)` only stops its cleanup timer (the database stays the app's).
 *
 * @example
 * await sendToUser(userId, "Report ready");
 * await closeRuntime();
 */
export async function closeRuntime(): Promise<void> {
  const runtime = holder[RUNTIME_KEY];
  if (!runtime) return;
  uninstallRuntime(runtime);
  const results = await Promise.allSettled([runtime.layer.close(), runtime.store?.close()]);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failed) throw failed.reason;
}

/** The runtime if one is installed, without creating one. */
export function peekRuntime(): NotificationsRuntime | undefined {
  return holder[RUNTIME_KEY];
}
