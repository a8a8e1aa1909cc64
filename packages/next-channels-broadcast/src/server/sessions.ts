/**
 * Session changes the gateway must hear about.
 *
 * Each function exists once, taking its runtime (`…With(runtime, …)`); the exported ones are the
 * default instance's (`getRuntime()`), and `createNotifications()` binds the same ones to its own.
 */
import { userGroup } from "../shared/channels.js";
import { InvalidNotificationError, PublishError, StoreError } from "../shared/errors.js";
import type { RevocationSubject } from "./store/types.js";
import { createRevocationList } from "./auth/revocation.js";
import { userIdOf, type UserRef } from "./audience.js";
import { CONTROL_REAUTHENTICATE, CONTROL_REVOKE_SESSION_PREFIX, controlMessage } from "./gateway/control.js";
import { getRuntime, type NotificationsRuntime } from "./runtime.js";

/**
 * Makes every open socket of `user`, in every server process, reconnect and authenticate
 * again. Call it after signing a user out: the signed-out browser comes back anonymous (or
 * not at all when anonymous is off), while the user's other devices, whose sessions are still
 * valid, reconnect as before and lose nothing.
 *
 * Call it inside `after()` (next/server), as `src/app/actions.ts` does, so it runs once the
 * response that clears the session cookie has been sent: the closed sockets reconnect within
 * about a second, and by then the browser must no longer have the cookie. Called before the
 * response, a tab could reconnect with the old cookie still set and be let back in as the user
 * who just signed out.
 *
 * @example
 * "use server";
 * import { after } from "next/server";
 *
 * export async function signOutAction() {
 *   const userId = (await auth())?.user?.id;
 *   await signOut({ redirect: false });
 *   if (userId) after(() => reauthenticateUser(userId).catch((error) => console.error(error)));
 *   redirect("/");
 * }
 */
export function reauthenticateUser(user: UserRef): Promise<void> {
  return reauthenticateUserWith(getRuntime(), user);
}

/** `reauthenticateUser` through `runtime`. @example await reauthenticateUserWith(notifications.runtime, userId); */
export async function reauthenticateUserWith(runtime: NotificationsRuntime, user: UserRef): Promise<void> {
  await publishControl(runtime, userGroup(userIdOf(user)), CONTROL_REAUTHENTICATE);
}

async function publishControl(runtime: NotificationsRuntime, group: string, action: string): Promise<void> {
  try {
    await runtime.layer.publish(group, controlMessage(action));
  } catch (error) {
    throw new PublishError(`Could not ask ${group} to re-authenticate through the ${runtime.layer.kind} layer.`, { cause: error });
  }
}

/** How long a revocation is remembered when the caller does not say: Auth.js' default session lifetime. */
export const DEFAULT_REVOCATION_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export interface RevokeOptions {
  /**
   * How long the revocation must be remembered: at least as long as a revoked session could
   * still be presented (the session's `maxAge`). Default 30 days, Auth.js' default.
   */
  ttlMs?: number;
}

function checkTtl(ttlMs: number): number {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new InvalidNotificationError("INVALID_ARGUMENT", `ttlMs must be a positive whole number of milliseconds, got ${JSON.stringify(ttlMs)}.`);
  }
  return ttlMs;
}

function checkSessionId(sessionId: unknown): string {
  if (typeof sessionId !== "string" || sessionId === "" || sessionId.length > 255) {
    throw new InvalidNotificationError("INVALID_ARGUMENT", `sessionId must be a non-empty string of at most 255 characters, got ${JSON.stringify(sessionId)}.`);
  }
  return sessionId;
}

/**
 * Revokes one session (a sign-out): its sockets, in every process, are closed with 4001 at once,
 * and a copy of its cookie can no longer open a socket — the gateway consults the store at every
 * handshake and sweeps open sockets periodically. The user's other sessions stay connected.
 *
 * Needs the session's id on the socket user (`sessionId`, the `sid` claim of an Auth.js token; see
 * the README). Without a store the revocation lasts only as long as this process remembers it;
 * with one it is kept for `ttlMs`. Throws `StoreError` if the store cannot record it.
 *
 * @example
 * "use server";
 * export async function signOutAction() {
 *   const session = await auth();
 *   await signOut({ redirect: false });
 *   if (session?.user?.id && session.sessionId) {
 *     after(() => revokeSession({ userId: session.user.id, sessionId: session.sessionId }));
 *   }
 * }
 */
export function revokeSession(session: { userId: UserRef; sessionId: string }, options: RevokeOptions = {}): Promise<void> {
  return revokeSessionWith(getRuntime(), session, options);
}

/** `revokeSession` through `runtime`. @example await revokeSessionWith(notifications.runtime, { userId, sessionId }); */
export async function revokeSessionWith(runtime: NotificationsRuntime, session: { userId: UserRef; sessionId: string }, options: RevokeOptions = {}): Promise<void> {
  const userId = userIdOf(session.userId);
  const sessionId = checkSessionId(session.sessionId);
  await recordRevocation(runtime, { sessionId }, checkTtl(options.ttlMs ?? DEFAULT_REVOCATION_TTL_MS));
  await publishControl(runtime, userGroup(userId), `${CONTROL_REVOKE_SESSION_PREFIX}${sessionId}`);
}

/**
 * Revokes every session of a user issued until now (a deleted user, "sign out everywhere", a
 * changed password): all their sockets close with 4001, and no token issued before this moment
 * opens a socket again. A session started afterwards (signing in again) is not affected.
 *
 * @example
 * await db.delete(users).where(eq(users.id, id));
 * await revokeUserSessions(id);
 */
export function revokeUserSessions(user: UserRef, options: RevokeOptions = {}): Promise<void> {
  return revokeUserSessionsWith(getRuntime(), user, options);
}

/** `revokeUserSessions` through `runtime`. @example await revokeUserSessionsWith(notifications.runtime, userId); */
export async function revokeUserSessionsWith(runtime: NotificationsRuntime, user: UserRef, options: RevokeOptions = {}): Promise<void> {
  const userId = userIdOf(user);
  await recordRevocation(runtime, { userId }, checkTtl(options.ttlMs ?? DEFAULT_REVOCATION_TTL_MS));
  await publishControl(runtime, userGroup(userId), CONTROL_REAUTHENTICATE);
}

async function recordRevocation(runtime: NotificationsRuntime, subject: RevocationSubject, ttlMs: number): Promise<void> {
  const at = new Date();
  runtime.revocations?.remember(subject, at.getTime());
  if (!runtime.store) return;
  try {
    await runtime.store.revoke(subject, { at, expiresAt: new Date(at.getTime() + ttlMs) });
  } catch (error) {
    throw new StoreError("Could not record the revocation; the session was not revoked.", { cause: error });
  }
}

/**
 * Whether a session was revoked (`revokeSession`, `revokeUserSessions`), for the app's own HTTP
 * checks — e.g. an Auth.js `jwt` callback that ends a revoked session on the next request, so a
 * copied cookie is refused by pages too, not only by the websocket gateway. One indexed look-up
 * in the store (plus this process's memory). False when the server keeps no revocations.
 *
 * @example
 * // auth.ts — Auth.js callbacks
 * async jwt({ token }) {
 *   if (token.sub && (await isSessionRevoked({ userId: token.sub, sessionId: token.sid, issuedAt: token.iat * 1000 }))) return null;
 *   return token;
 * }
 */
export function isSessionRevoked(session: { userId: UserRef; sessionId?: string | null; issuedAt?: number | null }): Promise<boolean> {
  return isSessionRevokedWith(getRuntime(), session);
}

/** `isSessionRevoked` through `runtime`. @example await isSessionRevokedWith(notifications.runtime, { userId: "42", sessionId: "s1" }); */
export async function isSessionRevokedWith(runtime: NotificationsRuntime, session: { userId: UserRef; sessionId?: string | null; issuedAt?: number | null }): Promise<boolean> {
  const list = runtime.revocations ?? (runtime.store ? createRevocationList({ store: runtime.store }) : undefined);
  if (!list) return false;
  const user = { id: userIdOf(session.userId), expiresAt: null, sessionId: session.sessionId ?? null, issuedAt: session.issuedAt ?? null };
  return (await list.revoked([user])).size > 0;
}
