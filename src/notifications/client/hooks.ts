"use client";
/** Hooks over `<NotificationsProvider>`'s contexts. */
import { useEffect, useEffectEvent } from "react";
import type { NotificationFrame, ServerFrame } from "../shared/protocol";
import { useNotificationsApiContext, useNotificationsStateContext } from "./context";
import type { NotificationsApi } from "./context";
import type { ProgressInfo } from "./progress";
import type { ConnectionState } from "./socket";
import type { SubscriptionRequest } from "./subscriptions";

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
 * Subscribes the tab's socket to channels and/or a signed token while the calling component
 * is mounted — the App Router keeps the socket across navigations, so per-page channels come
 * and go without reconnecting. Survives reconnects.
 *
 * When the request changes (another page, or the same page re-rendered by `router.refresh()`
 * with a freshly issued token), the new request is subscribed BEFORE the old one is released:
 * the server counts holds per request, so a channel both name is never dropped, not even
 * between the two frames, and nothing sent to it in between is lost.
 *
 * @example
 * // in a client component rendered by app/articles/[id]/page.tsx
 * useChannelSubscription({ channels: [`articles-${id}`] });
 * useChannelSubscription({ token: subscriptionToken }); // from issueSubscriptionToken on the server
 */
export function useChannelSubscription({ channels, token }: SubscriptionRequest): void {
  const api = useNotificationsApiContext("useChannelSubscription");
  // Arrays are usually built inline; key on their contents, not their identity.
  const key = JSON.stringify([channels ?? [], token ?? null]);
  useEffect(() => {
    const [names, signed] = JSON.parse(key) as [string[], string | null];
    if (names.length === 0 && signed === null) return;
    const release = api.subscribe(signed === null ? { channels: names } : { channels: names, token: signed });
    // React runs this cleanup before the next request's effect, in the same synchronous commit:
    // a microtask later, that effect has subscribed, so the release comes second.
    return () => queueMicrotask(release);
  }, [api, key]);
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
