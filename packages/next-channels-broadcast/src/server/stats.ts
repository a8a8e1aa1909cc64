/**
 * `getStats()`: what this process's notifications are doing, for an admin page or a health view —
 * sockets, users, channels and the busiest groups (from the gateway serving here), the latest
 * sends, the biggest inbox backlogs (from the store), and the state of the layer and the store.
 * Server code only; reads the process runtime, so it works from server components and actions.
 */
import type { GatewayStats } from "./gateway/index.js";
import { getRuntime, type NotificationsRuntime, type RecentSend } from "./runtime.js";

export type { RecentSend };

export interface NotificationStats {
  /** The gateway's holdings in this process, or null when no gateway runs here (a worker, `next dev` alone). */
  gateway: GatewayStats | null;
  /** The latest sends made by this process, newest first. */
  recentSends: RecentSend[];
  /** Users with the most pending inbox rows, most first (empty without a store). */
  inboxBacklog: { userId: string; pending: number }[];
  layer: { kind: string; up: boolean };
  /** `none` without a store; `failing` when it did not answer. */
  store: "ok" | "failing" | "none";
}

export interface GetStatsOptions {
  /** How many sends, groups and backlogs to list. Default 10. */
  limit?: number;
}

/**
 * Stats of this process's notifications, through `runtime` (default: the process runtime).
 *
 * @example
 * // an admin page (a server component)
 * const stats = await getStats();
 * return <p>{stats.gateway?.sockets.authenticated ?? 0} signed-in sockets</p>;
 */
export async function getStats(options: GetStatsOptions = {}, runtime: NotificationsRuntime = getRuntime()): Promise<NotificationStats> {
  const limit = options.limit ?? 10;
  const gateway = runtime.gateway?.stats({ busiest: limit }) ?? null;
  let store: NotificationStats["store"] = "none";
  let inboxBacklog: NotificationStats["inboxBacklog"] = [];
  if (runtime.store) {
    try {
      const backlog = runtime.store.inboxBacklog ? await runtime.store.inboxBacklog(limit) : [];
      inboxBacklog = backlog.map(({ group, pending }) => ({ userId: group.slice("user:".length), pending }));
      await runtime.store.currentWatermark();
      store = "ok";
    } catch {
      store = "failing";
    }
  }
  return {
    gateway,
    recentSends: (runtime.recentSends ?? []).slice(-limit).reverse(),
    inboxBacklog,
    layer: { kind: runtime.layer.kind, up: gateway?.layerUp ?? true },
    store,
  };
}
