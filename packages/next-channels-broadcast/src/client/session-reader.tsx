"use client";
/**
 * Reads the provider's `session` promise with React's `use()` and hands the value up.
 *
 * Why a separate component under its own `<Suspense>`: the root layout passes `auth()` without
 * awaiting it, so the layout stays static (with `cacheComponents` an awaited session in the root
 * layout fails prerendering, and even without it would make every page wait). Only this
 * null-rendering leaf suspends on the session; the app's children render at once, outside it.
 */
import { use, useEffect } from "react";
import type { NotificationsSession } from "./session.js";

/** One resolved session, with the promise it came from (a refresh passes a new promise). */
export interface ResolvedSession {
  source: PromiseLike<NotificationsSession | null>;
  value: NotificationsSession | null;
}

/**
 * Suspends until `session` resolves, then reports it once per promise. Renders nothing.
 *
 * @example
 * <Suspense fallback={null}><SessionReader session={session} onSession={setResolved} /></Suspense>
 */
export function SessionReader({ session, onSession }: { session: PromiseLike<NotificationsSession | null>; onSession: (resolved: ResolvedSession) => void }) {
  const value = use(session);
  useEffect(() => onSession({ source: session, value }), [session, value, onSession]);
  return null;
}
