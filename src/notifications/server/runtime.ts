/**
 * The process-wide runtime: settings + channel layer, shared by every caller of the send API.
 *
 * Why `globalThis`: the custom server (`server.ts`, run by tsx) and Next's compiled bundle
 * (server actions, route handlers) are two separate module graphs in one process. A module
 * singleton would exist twice; a `Symbol.for` key on `globalThis` exists once.
 */
import { createMemoryLayer } from "./layer/memory";
import type { ChannelLayer } from "./layer/types";
import { readSettings, type NotificationSettings } from "./settings";

export interface NotificationsRuntime {
  settings: NotificationSettings;
  layer: ChannelLayer;
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
 * environment with the in-memory layer: it only reaches sockets of this same process.
 */
export function getRuntime(): NotificationsRuntime {
  const existing = holder[RUNTIME_KEY];
  if (existing) return existing;
  return installRuntime({ settings: readSettings(), layer: createMemoryLayer() });
}

/** The runtime if one is installed, without creating one. */
export function peekRuntime(): NotificationsRuntime | undefined {
  return holder[RUNTIME_KEY];
}
