"use client";
/** Hooks over `<NotificationsProvider>`'s contexts. */
import { useCallback, useEffect, useEffectEvent, useRef, useState, useSyncExternalStore } from "react";
import type { NotificationFrame, ServerFrame } from "../shared/protocol";
import { useNotificationsApiContext, useNotificationsStateContext } from "./context";
import type { NotificationsApi } from "./context";
import type { ProgressInfo } from "./progress";
import type { ConnectionState } from "./socket";
import { IDLE_STATE } from "./subscription-state";
import type { ChannelSubscriptionState, SubscriptionState } from "./subscription-state";
import type { SubscriptionHandle, SubscriptionRequest } from "./subscriptions";

function isNotificationFrame(frame: ServerFrame): frame is NotificationFrame {
  return frame.type === "message" || frame.type === "redirect" || frame.type === "progress";
}

/**
 * Calls `handler` for every notification (message, redirect, progress) this tab receives,
 * after dedupe. The handler may be an inline function: it is not re-subscribed on render.
 *
 * @example
 * useNotifications((frame) => {
 *   if (frame.type === "message") setUnread((n) => n + 1);
 * });
 */
export function useNotifications(handler: (frame: NotificationFrame) => void): void {
  const api = useNotificationsApiContext("useNotifications");
  const onFrame = useEffectEvent((frame: NotificationFrame) => handler(frame));
  useEffect(
    () =>
      api.addFrameListener((frame) => {
        if (isNotificationFrame(frame)) onFrame(frame);
      }),
    [api],
  );
}

/**
 * The socket's state, for indicators and "reconnecting…" banners.
 *
 * @example
 * const state = useConnectionState();
 * if (state.status === "reconnecting") return <p>Reconnecting in {state.delayMs} ms…</p>;
 */
export function useConnectionState(): ConnectionState {
  return useNotificationsStateContext("useConnectionState").connection;
}

/**
 * Latest progress of `channel`, or of whichever channel reported last when omitted; null
 * until something arrives.
 *
 * @example
 * const progress = useProgress(jobChannel);
 * return <span>{progress?.label ?? "waiting…"}</span>;
 */
export function useProgress(channel?: string): ProgressInfo | null {
  const { progress } = useNotificationsStateContext("useProgress");
  if (channel === undefined) return progress.latest;
  return progress.byChannel[channel] ?? null;
}

/**
 * Extra channels the server granted this tab (from `hello` and `subscribed` frames).
 *
 * @example
 * const channels = useSubscribedChannels();
 * const live = channels.includes(`articles-${id}`);
 */
export function useSubscribedChannels(): readonly string[] {
  return useNotificationsStateContext("useSubscribedChannels").channels;
}

/**
 * A small external store that follows whichever subscription handle the calling hook holds now,
 * so `useSyncExternalStore` can read a handle that is created (and replaced) in an effect.
 */
function createHandleFollower() {
  let handle: SubscriptionHandle | null = null;
  let stopFollowing: (() => void) | null = null;
  const listeners = new Set<() => void>();
  const emit = () => {
    for (const listener of [...listeners]) listener();
  };
  return {
    get: (): SubscriptionState => handle?.getState() ?? IDLE_STATE,
    listen(listener: () => void) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    follow(next: SubscriptionHandle): () => void {
      stopFollowing?.();
      handle = next;
      stopFollowing = next.onStateChange(emit);
      emit();
      return () => {
        if (handle !== next) return;
        stopFollowing?.();
        stopFollowing = null;
        handle = null;
        emit();
      };
    },
  };
}

/**
 * Subscribes the tab's socket to channels and/or a signed token while the calling component
 * is mounted — the App Router keeps the socket across navigations, so per-page channels come
 * and go without reconnecting. Survives reconnects. Returns the request's state.
 *
 * When the request changes (another page, or the same page re-rendered by `router.refresh()`
 * with a freshly issued token), the new request is subscribed BEFORE the old one is released:
 * the server counts holds per request, so a channel both name is never dropped, not even
 * between the two frames, and nothing sent to it in between is lost.
 *
 * - `since`: the watermark the page's server component rendered with (`currentWatermark()`); the
 *   first subscribe asks for the channels' messages above it. Read on subscribe only: a later
 *   value does not re-subscribe.
 * - `getToken`: fetches a fresh token (a server action) when the server refuses this one as
 *   expired, or before an expired one is sent again after a reconnect. May change identity on
 *   every render; the latest is called.
 *
 * @example
 * // in a client component rendered by app/articles/[id]/page.tsx
 * const state = useChannelSubscription({ channels: [`articles-${id}`], since: watermark });
 * useChannelSubscription({ token, getToken: refreshToken }); // both from the page's server component
 * if (state.status === "refused") return <p>Live comments are off ({state.reason}).</p>;
 */
export function useChannelSubscription({ channels, token, getToken, since }: SubscriptionRequest): SubscriptionState {
  const api = useNotificationsApiContext("useChannelSubscription");
  // Arrays are usually built inline, and server actions are new objects on every render: key on
  // contents, and on whether a token source exists (not on its identity).
  const key = JSON.stringify([channels ?? [], token ?? null, typeof getToken === "function"]);
  const tokenSource = useRef(getToken);
  useEffect(() => {
    tokenSource.current = getToken;
  });
  const currentSince = useEffectEvent(() => since);
  const [follower] = useState(createHandleFollower);
  useEffect(() => {
    const [names, signed, refreshable] = JSON.parse(key) as [string[], string | null, boolean];
    if (names.length === 0 && signed === null) return;
    const request: SubscriptionRequest = { channels: names };
    if (signed !== null) request.token = signed;
    if (refreshable) {
      request.getToken = () => {
        const source = tokenSource.current;
        return source ? source() : Promise.reject(new Error("getToken is no longer given"));
      };
    }
    const position = currentSince();
    if (position !== undefined) request.since = position;
    const handle = api.subscribe(request);
    const unfollow = follower.follow(handle);
    // React runs this cleanup before the next request's effect, in the same synchronous commit:
    // a microtask later, that effect has subscribed, so the release comes second.
    return () => {
      unfollow();
      queueMicrotask(handle);
    };
  }, [api, key, follower]);
  return useSyncExternalStore(follower.listen, follower.get, follower.get);
}

/**
 * Where a channel stands for this tab, over every request that names it (by name, through a
 * token's payload, or as granted) and the channels the socket holds:
 * `idle` (nothing asks for it), `subscribing`, `subscribed`, `refused` with the server's reason
 * (`expired`, `invalid`, `denied`, `limit`, `disabled`) or `error` (`unavailable`: retried).
 *
 * @example
 * const live = useSubscription(`articles-${id}`);
 * if (live.status === "refused" && live.reason === "expired") return <button onClick={() => router.refresh()}>Reconnect</button>;
 * return <span>{live.status === "subscribed" ? "● live" : "…"}</span>;
 */
export function useSubscription(channel: string): ChannelSubscriptionState {
  const api = useNotificationsApiContext("useSubscription");
  const read = useCallback(() => api.getSubscriptionState(channel), [api, channel]);
  return useSyncExternalStore(api.onSubscriptionsChange, read, read);
}

/**
 * The provider's stable API: frame listeners (control frames included), imperative
 * subscribe/unsubscribe, and `send`.
 *
 * @example
 * const client = useNotificationClient();
 * useEffect(() => client.addFrameListener((f) => f.type === "hello" && console.log(f.userId)), [client]);
 */
export function useNotificationClient(): NotificationsApi {
  return useNotificationsApiContext("useNotificationClient");
}
