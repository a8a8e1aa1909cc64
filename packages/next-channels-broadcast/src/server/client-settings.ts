/**
 * What the browser needs to know about the server's settings, computed on the server so the
 * root layout can pass it to `<NotificationsProvider>`.
 */
import { getRuntime } from "./runtime.js";
import type { NotificationSettings } from "./settings.js";

export interface ClientSettings {
  /** Websocket path, e.g. `/ws/notifications`. */
  path: string;
  /** Whether anonymous sockets are accepted; when false the provider opens none for visitors. */
  anonymousEnabled: boolean;
}

/**
 * Settings to hand to `<NotificationsProvider>` from a server component.
 *
 * @example
 * const { path, anonymousEnabled } = getClientSettings();
 * return <NotificationsProvider userId={session?.user?.id ?? null} path={path} anonymousEnabled={anonymousEnabled}>…;
 */
export function getClientSettings(): ClientSettings {
  return clientSettingsOf(getRuntime().settings);
}

/**
 * The client settings of given server settings (an instance's `getClientSettings` uses it).
 *
 * @example
 * clientSettingsOf(readSettings({}, { enableAnonymous: true })) // { path: "/ws/notifications", anonymousEnabled: true }
 */
export function clientSettingsOf(settings: NotificationSettings): ClientSettings {
  return { path: settings.path, anonymousEnabled: settings.enableAnonymous };
}
