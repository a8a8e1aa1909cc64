/**
 * Control messages between gateway processes, carried by the channel layer in the same groups
 * as frames. They start with a NUL character, which no JSON frame can start with, so telling
 * them apart costs one character comparison on the hot path and they never reach a browser.
 */

const MARK = "\u0000";

/** Ask every socket of a group to close with 4001 and reconnect (its session changed). */
export const CONTROL_REAUTHENTICATE = "reauthenticate";

/**
 * Ask the sockets of one session (`revoke-session:<session id>`, sent to its user's group) to close
 * with 4001; the user's other sessions stay connected.
 */
export const CONTROL_REVOKE_SESSION_PREFIX = "revoke-session:";

/** The layer payload of a control action. */
export function controlMessage(action: string): string {
  return `${MARK}${action}`;
}

/** The action of a control message, or null for a normal frame. */
export function parseControlMessage(payload: string): string | null {
  return payload.charCodeAt(0) === 0 ? payload.slice(1) : null;
}
