/**
 * Type tests of `next-channels-broadcast/node`: gateways from instances. Checked, never run.
 */
import type { Server } from "node:http";
import { attachGateway, createGateway, startNotificationsServer, type Gateway, type RunningServer } from "next-channels-broadcast/node";
import { createNotifications } from "next-channels-broadcast/server";
import { expectType } from "./assert";

declare const server: Server;

export async function gateways(): Promise<void> {
  const notifications = createNotifications();
  expectType<Gateway>()(attachGateway(server, notifications));
  expectType<Gateway>()(attachGateway(server));
  attachGateway(server, notifications, { cleanup: false });
  attachGateway(server, notifications, { cleanup: { intervalMs: 60_000, onRun: (deleted: number) => void deleted } });
  expectType<Gateway>()(createGateway({ notifications, authorizer: () => true }));
  expectType<Promise<RunningServer>>()(startNotificationsServer({ notifications, port: 0 }));

  // @ts-expect-error the instance brings its layer: attachGateway takes no layer.
  attachGateway(server, notifications, { layer: notifications.runtime.layer });
  // @ts-expect-error an instance, not its options.
  attachGateway(server, { settings: {} });
}
