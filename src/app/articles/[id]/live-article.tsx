"use client";

import { useConnectionState, useLiveRefresh, useSubscribedChannels } from "next-channels-broadcast/client";

/**
 * Shows whether this page's channel is live on the tab's socket, and re-renders the page (its
 * comment list is a server component) when the server sends `refreshObject` for this article:
 * coalesced, skipped by the tab that posted, deferred while the tab is hidden.
 */
export function LiveArticle({ channel }: { channel: string }) {
  const connection = useConnectionState();
  const subscribed = useSubscribedChannels();
  const live = subscribed.includes(channel);
  useLiveRefresh(channel);

  const text = live
    ? "Live: new comments show up as toasts"
    : connection.status === "idle"
      ? "Not live (sign in, or run the demo with anonymous visitors on)"
      : "Connecting…";
  return (
    <p
      className={live ? "badge badge-on live-badge" : "badge badge-off live-badge"}
      data-testid="channel-live"
      data-live={String(live)}
      data-channel={channel}
      data-subscribed={subscribed.join(" ")}
    >
      {text}
    </p>
  );
}
