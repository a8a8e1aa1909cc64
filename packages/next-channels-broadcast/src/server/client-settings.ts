/**
 * What the browser needs to know about the server's settings, computed on the server so the
 * root layout can pass it to `<NotificationsProvider>`.
 */
import { getRuntime } from "./runtime.js";

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
  const { settings } = getRuntime();
  return { path: settings.path, anonymousEnabled: settings.enableAnonymous };
}
