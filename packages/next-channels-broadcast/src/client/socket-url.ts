/** The socket's URL, derived from the page's own location so cookies and origin checks line up. */
import { InvalidNotificationError } from "../shared/errors.js";

/** Default gateway path; the server's default too. */
export const DEFAULT_NOTIFICATIONS_PATH = "/ws/notifications";

/**
 * `wss:` on https pages (browsers block `ws:` from secure pages), `ws:` otherwise, same host.
 *
 * @example
 * buildNotificationSocketURL({ protocol: "https:", host: "app.example" }) // "wss://app.example/ws/notifications"
 */
export function buildNotificationSocketURL(
  location: { protocol: string; host: string },
  path: string = DEFAULT_NOTIFICATIONS_PATH,
): string {
  // Only a path on the same host: a full URL here would send the session cookie's socket elsewhere.
  if (!path.startsWith("/") || path.startsWith("//")) {
    throw new InvalidNotificationError("INVALID_ARGUMENT", `Notifications path must start with a single "/", got ${JSON.stringify(path)}.`);
  }
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}
