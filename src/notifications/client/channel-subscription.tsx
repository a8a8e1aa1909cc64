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
}

/**
 * Renders nothing. While mounted, the tab's one socket holds `channels` and/or what `token`
 * grants; on unmount (the user navigated away) they are released. When the props change — a
 * client-side navigation to another row's page, or `router.refresh()` / `revalidatePath` handing
 * the same page a freshly issued token — the new subscription is made first and the old one
 * released after it, on the same socket: a channel both cover is never dropped, not even briefly.
 *
 * @example
 * // app/articles/[id]/page.tsx — a server component
 * const session = await auth();
 * const token = issueSubscriptionToken({ user: session?.user ?? null, channels: [objectChannel(articles, article.id)] });
 * return (
 *   <>
 *     <ChannelSubscription token={token} />
 *     <Article article={article} />
 *   </>
 * );
 */
export function ChannelSubscription({ channels, token }: ChannelSubscriptionProps): null {
  useChannelSubscription({ channels, token: token ?? undefined });
  return null;
}
