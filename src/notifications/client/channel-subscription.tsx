"use client";
/**
 * `<ChannelSubscription>`: the server-component-friendly way for a page to subscribe the
 * layout's socket to its own channels while it is on screen.
 */
import { useChannelSubscription } from "./hooks";

export interface ChannelSubscriptionProps {
  /** Channel names, each checked by the server's authorizer. */
  channels?: readonly string[];
  /** A token from `issueSubscriptionToken` (bypasses the authorizer; bound to the viewer). */
  token?: string | null;
  /**
   * Fetches a fresh token — typically a server action defined next to the page — when the
   * server refuses `token` as expired, or before an expired one is sent again after a reconnect.
   */
  getToken?: () => Promise<string>;
  /**
   * The watermark (`currentWatermark()`) the page was rendered with: messages to these channels
   * sent after it — between rendering and subscribing — are delivered too.
   */
  since?: number | null;
}

/**
 * Renders nothing. While mounted, the tab's one socket holds `channels` and/or what `token`
 * grants; on unmount (the user navigated away) they are released. When the props change — a
 * client-side navigation to another row's page, or `router.refresh()` / `revalidatePath` handing
 * the same page a freshly issued token — the new subscription is made first and the old one
 * released after it, on the same socket: a channel both cover is never dropped, not even briefly.
 * Its state is visible to the page through `useSubscription(channel)`.
 *
 * @example
 * // app/articles/[id]/page.tsx — a server component
 * const session = await auth();
 * const channels = [objectChannel(articles, article.id)];
 * const since = await currentWatermark(); // before reading the rows the page shows
 * const token = issueSubscriptionToken({ user: session?.user ?? null, channels });
 * async function refreshToken() {
 *   "use server";
 *   const session = await auth();
 *   return issueSubscriptionToken({ user: session?.user ?? null, channels });
 * }
 * return (
 *   <>
 *     <ChannelSubscription token={token} getToken={refreshToken} since={since} />
 *     <Article article={article} />
 *   </>
 * );
 */
export function ChannelSubscription({ channels, token, getToken, since }: ChannelSubscriptionProps): null {
  useChannelSubscription({ channels, token: token ?? undefined, getToken, since: since ?? undefined });
  return null;
}
