/**
 * Where a live subscription stands, as the app sees it: per request (what one `subscribe` asked
 * for) and per channel name (whichever requests name it). Every refusal carries the server's
 * machine-readable reason, so a page can say "this link expired, reload" instead of going quiet.
 *
 * Channel states are interned (one frozen object per status and reason) so that
 * `useSyncExternalStore` sees the same value until something really changed.
 */
import { SUBSCRIPTION_REFUSALS } from "../shared/protocol";
import type { SubscriptionRefusal, SubscriptionRefusalReason } from "../shared/protocol";

/** Why a subscription is in error (a temporary failure; it is retried with backoff). */
export type SubscriptionErrorReason = "unavailable";

/**
 * One request's state:
 * - `idle`: released, or it asks for nothing;
 * - `subscribing`: sent (or waiting for the socket, or for a fresh token) and not answered yet;
 * - `subscribed`: answered; `granted` is what it holds, `refused` what it asked for and did not get;
 * - `refused`: nothing granted; `reason` is the first refusal's (`expired` after a failed refresh);
 * - `error`: the server could not join the channel layer just now; retried after `retryInMs`
 *   (null once the retry budget — the socket's `backoff.maxAttempts` — is spent; a reconnect retries).
 */
export type SubscriptionState =
  | { readonly status: "idle" }
  | { readonly status: "subscribing" }
  | { readonly status: "subscribed"; readonly granted: readonly string[]; readonly refused: readonly SubscriptionRefusal[] }
  | { readonly status: "refused"; readonly reason: SubscriptionRefusalReason; readonly refused: readonly SubscriptionRefusal[] }
  | { readonly status: "error"; readonly reason: SubscriptionErrorReason; readonly retryInMs: number | null };

/**
 * One channel's state, for `useSubscription(channel)`. `idle` means no request of this tab names
 * the channel (and the socket does not hold it).
 */
export type ChannelSubscriptionState =
  | { readonly status: "idle" }
  | { readonly status: "subscribing" }
  | { readonly status: "subscribed" }
  | { readonly status: "refused"; readonly reason: SubscriptionRefusalReason }
  | { readonly status: "error"; readonly reason: SubscriptionErrorReason };

export const IDLE_STATE: SubscriptionState & ChannelSubscriptionState = Object.freeze({ status: "idle" });
export const SUBSCRIBING_STATE: SubscriptionState & ChannelSubscriptionState = Object.freeze({ status: "subscribing" });

const CHANNEL_SUBSCRIBED: ChannelSubscriptionState = Object.freeze({ status: "subscribed" });
const CHANNEL_UNAVAILABLE: ChannelSubscriptionState = Object.freeze({ status: "error", reason: "unavailable" });
const CHANNEL_REFUSED = Object.fromEntries(
  SUBSCRIPTION_REFUSALS.map((reason) => [reason, Object.freeze({ status: "refused", reason })]),
) as Record<SubscriptionRefusalReason, ChannelSubscriptionState>;

/** The interned channel state for a status (and reason). */
export const channelState = {
  idle: IDLE_STATE as ChannelSubscriptionState,
  subscribing: SUBSCRIBING_STATE as ChannelSubscriptionState,
  subscribed: CHANNEL_SUBSCRIBED,
  unavailable: CHANNEL_UNAVAILABLE,
  refused: (reason: SubscriptionRefusalReason): ChannelSubscriptionState => CHANNEL_REFUSED[reason],
};

/** Precedence when several requests name one channel: the most useful news wins. */
const RANK: Record<ChannelSubscriptionState["status"], number> = { subscribed: 4, subscribing: 3, error: 2, refused: 1, idle: 0 };

/**
 * The better of two channel states (subscribed > subscribing > error > refused > idle).
 *
 * @example
 * strongerChannelState(channelState.refused("denied"), channelState.subscribed) // { status: "subscribed" }
 */
export function strongerChannelState(a: ChannelSubscriptionState, b: ChannelSubscriptionState): ChannelSubscriptionState {
  return RANK[b.status] > RANK[a.status] ? b : a;
}
