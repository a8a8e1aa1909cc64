/**
 * When a page re-renders after `refresh` frames: at once for the first, then at most once more per
 * coalescing window however many arrive in it (leading and trailing edge), and never while the tab
 * is hidden — a hidden tab remembers that it owes a refresh and does it when shown. No React, no
 * router here: `useLiveRefresh` hands in `router.refresh`.
 */

/** Where visibility comes from (`document` in the browser; a fake in tests). */
export interface VisibilitySource {
  isHidden(): boolean;
  /** Calls `listener` whenever the tab becomes visible; returns the remover. */
  onVisible(listener: () => void): () => void;
}

export interface RefreshSchedulerOptions {
  /** Re-renders the page (`router.refresh`). */
  refresh: () => void;
  /** Length of the coalescing window in ms. Default 1,000. */
  coalesceMs?: number;
  /** Default: the document's `visibilityState`. */
  visibility?: VisibilitySource;
}

export interface RefreshScheduler {
  /** A refresh frame arrived for this page. */
  request(): void;
  /** Stops every timer and listener. */
  dispose(): void;
}

/** Default coalescing window, ms. */
export const DEFAULT_REFRESH_COALESCE_MS = 1_000;

/** The document's visibility. */
export function documentVisibility(): VisibilitySource {
  return {
    isHidden: () => typeof document !== "undefined" && document.visibilityState === "hidden",
    onVisible(listener) {
      const onChange = () => {
        if (document.visibilityState === "visible") listener();
      };
      document.addEventListener("visibilitychange", onChange);
      return () => document.removeEventListener("visibilitychange", onChange);
    },
  };
}

/**
 * Creates the scheduler of one page's refreshes.
 *
 * @example
 * const scheduler = createRefreshScheduler({ refresh: () => router.refresh() });
 * scheduler.request(); // refreshes now
 * scheduler.request(); // …and once more when the window ends
 */
export function createRefreshScheduler(options: RefreshSchedulerOptions): RefreshScheduler {
  const coalesceMs = options.coalesceMs ?? DEFAULT_REFRESH_COALESCE_MS;
  const visibility = options.visibility ?? documentVisibility();
  let window: ReturnType<typeof setTimeout> | null = null;
  let owed = false;
  let disposed = false;

  function run(): void {
    owed = false;
    try {
      options.refresh();
    } catch (error) {
      console.error("[notifications] refresh threw", error);
    }
    window = setTimeout(() => {
      window = null;
      if (owed && !visibility.isHidden()) run();
    }, coalesceMs);
  }

  function request(): void {
    if (disposed) return;
    owed = true;
    if (window === null && !visibility.isHidden()) run();
  }

  const stopWatching = visibility.onVisible(() => {
    if (!disposed && owed && window === null) run();
  });

  return {
    request,
    dispose() {
      disposed = true;
      if (window !== null) clearTimeout(window);
      window = null;
      stopWatching();
    },
  };
}
