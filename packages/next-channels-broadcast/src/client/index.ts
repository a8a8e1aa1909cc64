/**
 * `next-channels-broadcast/client`: the browser half of the kit. Import it in client components
 * and in the root layout (a server component).
 *
 * No "use client" on this barrel: the components and hooks carry it on their own files (each a
 * client boundary), while the plain values and functions exported here (defaults, URL rules, the
 * socket outside React) stay values a server component can import.
 *
 * @example
 * import { NotificationsProvider, ProgressBar, useNotifications } from "next-channels-broadcast/client";
 */
export { NotificationsProvider } from "./provider.js";
export type { NotificationsProviderProps } from "./provider.js";
export {
  useChannelSubscription,
  useConnectionState,
  useNotificationClient,
  useNotifications,
  useProgress,
  useSubscribedChannels,
  useSubscription,
} from "./hooks.js";
export type { FrameListener, NotificationsApi, NotificationsState } from "./context.js";
export { createEventHooks, parseEventFrame } from "./events.js";
export type { EventHooks, EventMeta, UseEventOptions } from "./events.js";
export { defineEvents, type EventDefinitions, type EventData, type EventInput, type EventName } from "../shared/events.js";
export { LiveRefresh, RefreshOriginField, useLiveRefresh } from "./live-refresh.js";
export type { LiveRefreshOptions, LiveRefreshProps } from "./live-refresh.js";
export { createRefreshScheduler, DEFAULT_REFRESH_COALESCE_MS } from "./refresh-scheduler.js";
export type { RefreshScheduler, RefreshSchedulerOptions, VisibilitySource } from "./refresh-scheduler.js";
export { getTabId, REFRESH_ORIGIN_FIELD } from "./tab-id.js";
export { useInbox, applyCenterChange } from "./inbox.js";
export type { Inbox, InboxActions, UseInboxOptions } from "./inbox.js";
export { NotificationBell, NotificationPanel } from "./notification-bell.js";
export type { NotificationBellProps, NotificationPanelProps, NotificationPanelClassNames } from "./notification-bell.js";
export { CENTER_EVENT, type CenterItem, type CenterPage, type CenterChangeResult, type CenterEventData, type CenterChange, type CenterFilter } from "../shared/center.js";
export { ChannelSubscription } from "./channel-subscription.js";
export type { ChannelSubscriptionProps } from "./channel-subscription.js";
export { ProgressBar } from "./progress-bar.js";
export type { ProgressBarProps } from "./progress-bar.js";
export { ConnectionIndicator } from "./connection-indicator.js";
export { PresenceBadge, usePresence, initialsOf } from "./presence.js";
export type { PresenceBadgeProps, PresenceState } from "./presence.js";
export { createPresenceStore } from "./presence-store.js";
export type { ChannelPresence, PresenceStore } from "./presence-store.js";
export type { ConnectionIndicatorProps } from "./connection-indicator.js";
export { NotificationToast } from "./toast.js";
export { DEFAULT_LEVEL_STYLES, DEFAULT_LEVEL_DURATIONS, DEFAULT_TOAST_QUEUE, BACKLOG_TOAST_ID, describeConnectionState, resolveToastQueueOptions } from "./display-defaults.js";
export type { LevelStyles, NotificationToastProps } from "./toast.js";
export { defaultRenderers, renderMessageToast, followSameOriginRedirect } from "./renderers.js";
export type { RenderContext, Renderers } from "./renderers.js";
export { createNotificationSocket, DEFAULT_OPEN_TIMEOUT_MS, LAST_ID_PARAM, withLastId } from "./socket.js";
export { canShareSocket, createSharedNotificationSocket } from "./shared-socket/tab.js";
export type { SharedNotificationSocket, SharedNotificationSocketOptions } from "./shared-socket/tab.js";
export type {
  ConnectionState,
  ConnectionStatus,
  NotificationSocket,
  NotificationSocketOptions,
  WebSocketConstructor,
  WebSocketLike,
} from "./socket.js";
export type { BackoffOptions } from "./backoff.js";
export { createChime, CHIME_NOTES } from "./chime.js";
export type { Chime, ChimeOptions } from "./chime.js";
export { createSubscriptionRegistry } from "./subscriptions.js";
export type { SubscriptionHandle, SubscriptionLink, SubscriptionRegistry, SubscriptionRegistryOptions, SubscriptionRequest } from "./subscriptions.js";
export type { ChannelSubscriptionState, SubscriptionErrorReason, SubscriptionState } from "./subscription-state.js";
export { createPositionTracker, DEFAULT_SETTLE_MS } from "./position.js";
export type { PositionTracker, PositionTrackerOptions } from "./position.js";
export { createToastQueue } from "./toast-queue.js";
export type { QueuedToast, ToastQueue } from "./toast-queue.js";
export type { ToastQueueOptions } from "./display-defaults.js";
export { readTokenClaims } from "./token-claims.js";
export type { TokenClaims } from "./token-claims.js";
export type { ProgressInfo } from "./progress.js";
export { resolveNavigation } from "./navigation.js";
export type { NavigationTarget } from "./navigation.js";
export { buildNotificationSocketURL, DEFAULT_NOTIFICATIONS_PATH } from "./socket-url.js";
export type {
  EventFrame,
  Level,
  MessageFrame,
  NotificationFrame,
  ProgressFrame,
  RedirectFrame,
  RefreshFrame,
  ServerFrame,
  SubscriptionRefusal,
  SubscriptionRefusalReason,
} from "../shared/protocol.js";
export type { PresenceDiffFrame, PresenceFrame, PresenceMember, PresenceProfile } from "../shared/presence.js";
export {
  DEFAULT_TOAST_PREFERENCES,
  isToastMuted,
  parseToastPreferences,
  readStoredToastPreferences,
  TOAST_PREFERENCES_KEY,
  useToastPreferences,
  writeStoredToastPreferences,
} from "./toast-preferences.js";
export type { ToastPreferences, ToastPreferencesControls } from "./toast-preferences.js";
