/**
 * Whether a send can reach anybody, and the one development warning when it cannot.
 *
 * Why: `next dev` / `next start` without the custom server (or a script that forgot
 * `connectFromEnv()`) gives the send API an in-memory layer that no gateway listens on: every
 * send "succeeds" and reaches nobody. A gateway marks the layer it listens on; a send on an
 * in-memory layer that no gateway marked, with no store to keep it for later, warns once.
 *
 * Why marks and flags live on the layer object and on `globalThis` (not in module variables): the
 * custom server and Next's bundle load this module twice (two module graphs, one process). The
 * layer object is the one they share, and one warning per process is enough.
 */
import type { ChannelLayer } from "./layer/types.js";
import type { NotificationStore } from "./store/types.js";
import { getLogger } from "./logger.js";

const GATEWAYS = Symbol.for("next-channels-broadcast.gateways");
const WARNED = Symbol.for("next-channels-broadcast.warned-unreachable");

type Marked = { [GATEWAYS]?: number };
type WarnedHolder = { [WARNED]?: boolean };

/**
 * Records that a gateway of this process listens on `layer`; returns the function that forgets it
 * (the gateway calls it when it closes). Idempotent per returned function.
 *
 * @example
 * const unmark = markGatewayListening(layer);
 * // … gateway runs …
 * unmark();
 */
export function markGatewayListening(layer: ChannelLayer): () => void {
  const marked = layer as ChannelLayer & Marked;
  marked[GATEWAYS] = (marked[GATEWAYS] ?? 0) + 1;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    marked[GATEWAYS] = Math.max(0, (marked[GATEWAYS] ?? 1) - 1);
  };
}

/**
 * Whether a send through `layer` (with `store`, if any) can reach a browser now or later: a gateway
 * of this process listens on it, or the layer crosses processes (anything but the in-memory one),
 * or a store keeps the send for replay.
 *
 * @example
 * canReachAnyone(createMemoryLayer(), undefined) // false: in-memory, no gateway, nothing stored
 */
export function canReachAnyone(layer: ChannelLayer, store: NotificationStore | undefined): boolean {
  if (store) return true;
  if (layer.kind !== "memory") return true;
  return ((layer as ChannelLayer & Marked)[GATEWAYS] ?? 0) > 0;
}

/** The warning's text, exported for tests and docs. */
export const UNREACHABLE_WARNING =
  "[notifications] A notification was sent, but nobody can receive it: no notifications gateway runs in this process and its in-memory channel layer reaches no other process. " +
  "Run the app through its custom server (`tsx server.ts`; `npx next-channels-broadcast init` writes one and sets the dev/start scripts) instead of `next dev` / `next start`. " +
  'In a worker or script, call `await connectFromEnv()` from "next-channels-broadcast/node" with the server\'s REDIS_URL (and DATABASE_URL to store sends for replay). ' +
  "With createNotifications(), attach a gateway to the same instance (attachGateway) or give it a Redis layer or a store. (Shown once, in development only.)";

/**
 * Warns once per process, in development (`NODE_ENV !== "production"`), when a send through
 * `layer` cannot reach anybody. Production stays quiet: a send is never refused for this.
 *
 * @example
 * warnIfUnreachable(runtime.layer, runtime.store, "user:42");
 */
export function warnIfUnreachable(layer: ChannelLayer, store: NotificationStore | undefined, group: string): void {
  if (process.env.NODE_ENV === "production") return;
  const holder = globalThis as WarnedHolder;
  if (holder[WARNED] || canReachAnyone(layer, store)) return;
  holder[WARNED] = true;
  getLogger().warn(`${UNREACHABLE_WARNING} (First unreachable send: to ${group}.)`);
}

/** Lets the warning fire again (tests only). */
export function resetUnreachableWarning(): void {
  delete (globalThis as WarnedHolder)[WARNED];
}
