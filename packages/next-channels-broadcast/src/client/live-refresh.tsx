"use client";
/**
 * Live server components: a page opted in with `useLiveRefresh(channel)` or `<LiveRefresh>`
 * calls `router.refresh()` when the server sends `refresh(target)` to a channel it holds. The
 * server components re-render with fresh data; client state (inputs, scroll) is kept.
 */
import { useRouter } from "next/navigation";
import { useEffect, useEffectEvent, useSyncExternalStore } from "react";
import { useNotificationsApiContext } from "./context.js";
import { createRefreshScheduler, DEFAULT_REFRESH_COALESCE_MS } from "./refresh-scheduler.js";
import { getTabId, REFRESH_ORIGIN_FIELD } from "./tab-id.js";

export interface LiveRefreshOptions {
  /** Coalescing window in ms: a burst within it causes one refresh now and at most one at its end. Default 1,000. */
  coalesceMs?: number;
  /** Called right after each `router.refresh()` (tests, analytics). */
  onRefresh?: () => void;
}

/**
 * Re-renders this page's server components when a `refresh` for `channel` arrives (for any
 * channel the tab holds when omitted). The page must hold the channel (`<ChannelSubscription>`).
 * Refreshes are coalesced, skipped when this tab's own action caused them (see
 * `<RefreshOriginField />`), and deferred while the tab is hidden.
 *
 * @example
 * useLiveRefresh(objectChannel(articles, article.id));
 */
export function useLiveRefresh(channel?: string, options: LiveRefreshOptions = {}): void {
  const api = useNotificationsApiContext("useLiveRefresh");
  const router = useRouter();
  const refresh = useEffectEvent(() => {
    router.refresh();
    options.onRefresh?.();
  });
  const coalesceMs = options.coalesceMs ?? DEFAULT_REFRESH_COALESCE_MS;
  useEffect(() => {
    const scheduler = createRefreshScheduler({ refresh: () => refresh(), coalesceMs });
    const stopListening = api.addFrameListener((frame) => {
      if (frame.type !== "refresh") return;
      if (channel !== undefined && frame.channel !== channel) return;
      if (frame.origin !== undefined && frame.origin === getTabId()) return;
      scheduler.request();
    });
    return () => {
      stopListening();
      scheduler.dispose();
    };
  }, [api, channel, coalesceMs]);
}

export interface LiveRefreshProps extends LiveRefreshOptions {
  /** The channel whose refreshes re-render this page (public name). Default: any the tab holds. */
  channel?: string;
}

/**
 * `useLiveRefresh` as a component, for server-component pages: renders nothing.
 *
 * @example
 * <ChannelSubscription token={token} />
 * <LiveRefresh channel={objectChannel(articles, article.id)} />
 */
export function LiveRefresh({ channel, ...options }: LiveRefreshProps): null {
  useLiveRefresh(channel, options);
  return null;
}

const noSubscription = () => () => {};

/**
 * A hidden form field carrying this tab's id, so the `refresh` a server action sends skips the
 * tab that submitted the form (it re-renders anyway). Read it with `refreshOriginOf(formData)`.
 * Empty in the server's HTML, filled in once hydrated.
 *
 * @example
 * <form action={postComment}>
 *   <RefreshOriginField />
 *   …
 * </form>
 */
export function RefreshOriginField(): React.JSX.Element {
  const tabId = useSyncExternalStore(noSubscription, getTabId, () => "");
  return <input type="hidden" name={REFRESH_ORIGIN_FIELD} value={tabId} />;
}
