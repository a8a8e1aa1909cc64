/**
 * `attachGateway`: puts an instance's websocket gateway on an HTTP server you already run, in one
 * call — the upgrade routing that `startNotificationsServer` does for Next.js, for any server.
 * Node only (it loads `ws` through the gateway): exported from `next-channels-broadcast/node`.
 */
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { createGateway, type Gateway, type GatewayOptions } from "./gateway/index.js";
import { defaultNotifications, type Notifications } from "./instance.js";
import type { CleanupOptions } from "./store/types.js";

/** Gateway options that do not come from the instance, and the store's cleanup. */
export interface AttachGatewayOptions extends Omit<GatewayOptions, "notifications" | "settings" | "layer" | "store" | "revocations"> {
  /**
   * The periodic deletion of the instance store's expired rows (what `startNotificationsServer`
   * runs): started with the gateway, stopped by its `close()`. Default: on, every
   * `NOTIFICATIONS_CLEANUP_INTERVAL_MS`; `false` leaves it to you (`store.startCleanup()`), e.g.
   * when another process of the same database runs it. Nothing happens without a store.
   */
  cleanup?: CleanupOptions | false;
}

/**
 * Creates the gateway of `notifications` (default: the process's default instance) and routes
 * `server`'s upgrade requests for the notifications path to it. Other upgrade requests are left to
 * the server's other `upgrade` listeners, or refused when there is none. The instance's store (if
 * any) deletes its expired rows periodically meanwhile (`options.cleanup`). `gateway.close()` also
 * detaches it from the server and stops that cleanup.
 *
 * @example
 * import { createServer } from "node:http";
 * import { createNotifications } from "next-channels-broadcast/server";
 * import { attachGateway } from "next-channels-broadcast/node";
 *
 * const notifications = createNotifications({ authenticate: authjsAuthenticate() });
 * const server = createServer(handler);
 * const gateway = attachGateway(server, notifications);
 * server.listen(3000);
 * await notifications.sendToAll("Hello");
 */
export function attachGateway(server: Server, notifications: Notifications = defaultNotifications, options: AttachGatewayOptions = {}): Gateway {
  const { cleanup, ...gatewayOptions } = options;
  const gateway = createGateway({ ...gatewayOptions, notifications: { runtime: notifications.runtime } });
  // Without it an app on attachGateway kept every expired row forever (startNotificationsServer
  // always ran it; this did not).
  const stopCleanup = cleanup === false ? undefined : notifications.runtime.store?.startCleanup(cleanup);
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (gateway.handles(req)) return gateway.handleUpgrade(req, socket, head);
    // Another listener (a dev server's hot reload, another gateway) may want it; nobody else = refuse.
    if (server.listenerCount("upgrade") <= 1) socket.destroy();
  };
  server.on("upgrade", onUpgrade);
  return {
    ...gateway,
    async close() {
      server.off("upgrade", onUpgrade);
      stopCleanup?.();
      await gateway.close();
    },
  };
}
