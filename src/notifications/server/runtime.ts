/**
 * The process-wide runtime: settings + channel layer, shared by every caller of the send API.
 *
 * Why `globalThis`: the custom server (`server.ts`, run by tsx) and Next's compiled bundle
 * (server actions, route handlers) are two separate module graphs in one process. A module
 * singleton would exist twice; a `Symbol.for` key on `globalThis` exists once.
 */
import type { RevocationList } from "./auth/revocation";
import { createLayerFromEnv } from "./layer/from-env";
import type { ChannelLayer } from "./layer/types";
import { readSettings, type NotificationSettings } from "./settings";
import { createStoreFromEnv } from "./store/from-env";
import type { NotificationStore } from "./store/types";

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
 * The runtime in use. When nothing was installed (a script, a worker), one is created from the
 * environment:
 * - the layer: Redis when `REDIS_URL` is set — so a worker's sends reach the gateways of every
 *   server process — otherwise in-memory, which only reaches sockets of this same process;
 * - the store: PostgreSQL when `DATABASE_URL` is set (`createStoreFromEnv`), so a worker's sends
 *   are stored and replayed like the server's; none otherwise (PGlite lives in the server's
 *   process only), and then a worker's sends are live only.
 * Scripts call `closeRuntime()` when done so open Redis/PostgreSQL connections do not keep them alive.
 *
 * @example
 * const { settings, layer, store } = getRuntime();
 * console.log(`${layer.kind} layer, ${store ? "stored" : "live-only"} sends, anonymous ${settings.enableAnonymous ? "on" : "off"}`);
 */
export function getRuntime(): NotificationsRuntime {
  const existing = holder[RUNTIME_KEY];
  if (existing) return existing;
  const settings = readSettings();
  const layer = createLayerFromEnv(process.env);
  let store: NotificationStore | null;
  try {
    store = createStoreFromEnv(process.env);
  } catch (error) {
    // An invalid DATABASE_URL must not leave a Redis connection keeping the process alive.
    void layer.close().catch(() => undefined);
    throw error;
  }
  return installRuntime(store ? { settings, layer, store } : { settings, layer });
}

/**
 * Closes the installed runtime's layer and store (and forgets the runtime). For scripts and
 * workers. A store created by `getRuntime()` ends its PostgreSQL pool; an app's own
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
