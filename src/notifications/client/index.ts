"use client";
/**
 * The browser half of the kit: import from here in client components and the root layout.
 *
 * @example
 * import { NotificationsProvider, ProgressBar, useNotifications } from "@/notifications/client";
 */
export { NotificationsProvider } from "./provider";
export type { NotificationsProviderProps } from "./provider";
export {
  useChannelSubscription,
  useConnectionState,
  useNotificationClient,
  useNotifications,
  useProgress,
  useSubscribedChannels,
  useSubscription,
} from "./hooks";
export type { FrameListener, NotificationsApi, NotificationsState } from "./context";
export { ChannelSubscription } from "./channel-subscription";
export type { ChannelSubscriptionProps } from "./channel-subscription";
export { ProgressBar } from "./progress-bar";
export type { ProgressBarProps } from "./progress-bar";
export { ConnectionIndicator, describeConnectionState } from "./connection-indicator";
export type { ConnectionIndicatorProps } from "./connection-indicator";
export { NotificationToast, DEFAULT_LEVEL_STYLES, DEFAULT_LEVEL_DURATIONS } from "./toast";
export type { LevelStyles, NotificationToastProps } from "./toast";
export { defaultRenderers, renderMessageToast, followSameOriginRedirect } from "./renderers";
export type { RenderContext, Renderers } from "./renderers";
export { createNotificationSocket, DEFAULT_OPEN_TIMEOUT_MS, LAST_ID_PARAM, withLastId } from "./socket";
export type {
  ConnectionState,
  ConnectionStatus,
  NotificationSocket,
  NotificationSocketOptions,
  WebSocketConstructor,
  WebSocketLike,
} from "./socket";
export type { BackoffOptions } from "./backoff";
export { createChime, CHIME_NOTES } from "./chime";
export type { Chime, ChimeOptions } from "./chime";
export { createSubscriptionRegistry } from "./subscriptions";
export type { SubscriptionHandle, SubscriptionLink, SubscriptionRegistry, SubscriptionRegistryOptions, SubscriptionRequest } from "./subscriptions";
export type { ChannelSubscriptionState, SubscriptionErrorReason, SubscriptionState } from "./subscription-state";
export { createPositionTracker, DEFAULT_SETTLE_MS } from "./position";
export type { PositionTracker, PositionTrackerOptions } from "./position";
export { createToastQueue, DEFAULT_TOAST_QUEUE, BACKLOG_TOAST_ID } from "./toast-queue";
export type { QueuedToast, ToastQueue, ToastQueueOptions } from "./toast-queue";
export { readTokenClaims } from "./token-claims";
export type { TokenClaims } from "./token-claims";
export type { ProgressInfo } from "./progress";
export { resolveNavigation } from "./navigation";
export type { NavigationTarget } from "./navigation";
export { buildNotificationSocketURL, DEFAULT_NOTIFICATIONS_PATH } from "./socket-url";
export type {
  Level,
  MessageFrame,
  NotificationFrame,
  ProgressFrame,
  RedirectFrame,
  ServerFrame,
  SubscriptionRefusal,
  SubscriptionRefusalReason,
} from "../shared/protocol";
