/**
 * What the provider reads from an Auth.js session: only `session.user.id`. Kept apart from the
 * provider so the rule (which id, when a session counts as "signed in without an id") is one
 * small, testable function, and so the provider's `session` prop accepts Auth.js' own `Session`
 * without the client importing next-auth.
 */

/** The part of an Auth.js `Session` the provider reads; Auth.js' `Session` fits it. */
export interface NotificationsSession {
  user?: { id?: string | null } | null;
}

/** A session, a promise of one (`auth()` not awaited), or null when signed out. */
export type SessionInput = NotificationsSession | null | PromiseLike<NotificationsSession | null>;

/**
 * Whether `value` is a promise (or any thenable): the provider then reads it with React's `use()`.
 *
 * @example
 * isThenable(auth()) // true
 * isThenable(null)   // false
 */
export function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/**
 * The socket's user id from a session: `session.user.id` when it is a non-empty string, else null.
 *
 * @example
 * userIdOfSession({ user: { id: "u1", name: "Ada" } }) // "u1"
 * userIdOfSession({ user: { name: "Ada" } })           // null (Auth.js' default: no id)
 * userIdOfSession(null)                                // null (signed out)
 */
export function userIdOfSession(session: NotificationsSession | null | undefined): string | null {
  const id = session?.user?.id;
  return typeof id === "string" && id !== "" ? id : null;
}

/**
 * True when someone is signed in but the session carries no user id — Auth.js' default, which
 * leaves the provider with nobody to connect as.
 *
 * @example
 * signedInWithoutId({ user: { email: "ada@example.com" } }) // true
 */
export function signedInWithoutId(session: NotificationsSession | null | undefined): boolean {
  return typeof session?.user === "object" && session.user !== null && userIdOfSession(session) === null;
}
