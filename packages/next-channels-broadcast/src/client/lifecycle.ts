/**
 * Page lifecycle events the socket reacts to. Kept apart from the socket so the wiring is
 * one small function and tests can pass any `EventTarget` instead of `window`.
 */

export interface LifecycleHandlers {
  /** The page is being hidden: unloaded, or frozen into the back/forward cache. */
  pagehide(): void;
  /** The page is shown again; `persisted` is true when it comes back from the bfcache. */
  pageshow(persisted: boolean): void;
  /** The browser regained network access. */
  online(): void;
}

/**
 * Adds the three listeners and returns the function that removes them.
 *
 * @example
 * const stop = listenToLifecycle(window, { pagehide, pageshow, online });
 * // later
 * stop();
 */
export function listenToLifecycle(target: EventTarget, handlers: LifecycleHandlers): () => void {
  const onPageHide = () => handlers.pagehide();
  // `persisted` lives on PageTransitionEvent; read it defensively so plain Events work too.
  const onPageShow = (event: Event) => handlers.pageshow((event as { persisted?: unknown }).persisted === true);
  const onOnline = () => handlers.online();
  target.addEventListener("pagehide", onPageHide);
  target.addEventListener("pageshow", onPageShow);
  target.addEventListener("online", onOnline);
  return () => {
    target.removeEventListener("pagehide", onPageHide);
    target.removeEventListener("pageshow", onPageShow);
    target.removeEventListener("online", onOnline);
  };
}

/** `window` in a browser, null elsewhere (server rendering, Node tests). */
export function defaultLifecycleTarget(): EventTarget | null {
  return typeof window !== "undefined" && typeof window.addEventListener === "function" ? window : null;
}
