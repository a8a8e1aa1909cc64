/**
 * The process-wide runtime: settings + channel layer, shared by every caller of the send API.
 *
 * Why `globalThis`: the custom server (`server.ts`, run by tsx) and Next's compiled bundle
 * (server actions, route handlers) are two separate module graphs in one process. A module
 * singleton would exist twice; a `Symbol.for` key on `globalThis` exists once.
 */
import { createLayerFromEnv } from "./layer/from-env";
import type { ChannelLayer } from "./layer/types";
import { readSettings, type NotificationSettings } from "./settings";
import type { NotificationStore } from "./store/types";

export interface NotificationsRuntime {
  settings: NotificationSettings;
  layer: ChannelLayer;
  /** When set, sends are stored first (ids, inbox, replay); see `store/`. */
  store?: NotificationStore;
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
 * environment: the Redis layer when `REDIS_URL` is set — so a worker's sends reach the
 * gateways of every server process — otherwise the in-memory layer, which only reaches
 * sockets of this same process. Scripts call `closeRuntime()` when done so an open Redis
 * connection does not keep them alive.
 */
export function getRuntime(): NotificationsRuntime {
  const existing = holder[RUNTIME_KEY];
  if (existing) return existing;
  return installRuntime({ settings: readSettings(), layer: createLayerFromEnv(process.env) });
}

/**
 * Closes the installed runtime's layer (and forgets the runtime). For scripts and workers.
 *
 * @example
 * await sendToUser(userId, "Report ready");
 * await closeRuntime();
 */
export async function closeRuntime(): Promise<void> {
  const runtime = holder[RUNTIME_KEY];
  if (!runtime) return;
  uninstallRuntime(runtime);
  await runtime.layer.close();
}

/** The runtime if one is installed, without creating one. */
export function peekRuntime(): NotificationsRuntime | undefined {
  return holder[RUNTIME_KEY];
}
