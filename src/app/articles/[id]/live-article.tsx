"use client";

import { useRouter } from "next/navigation";
import { useConnectionState, useNotifications, useSubscribedChannels } from "next-channels-broadcast/client";

/**
 * Shows whether this page's channel is live on the tab's socket, and reloads the comment list
 * when a comment toast for this article arrives (its click URL points here).
 */
export function LiveArticle({ articleId, channel }: { articleId: number; channel: string }) {
  const router = useRouter();
  const connection = useConnectionState();
  const subscribed = useSubscribedChannels();
  const live = subscribed.includes(channel);

  useNotifications((frame) => {
    if (frame.type !== "message" || !frame.clickURL) return;
    const target = new URL(frame.clickURL, window.location.origin);
    if (target.origin === window.location.origin && target.pathname === `/articles/${articleId}`) router.refresh();
  });

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
