/**
 * `next-channels-broadcast/server`: the send API and what server components, server actions and
 * route handlers need. Server code only. Next bundles this entry, so it loads no Redis client,
 * database driver or websocket server: those live in `next-channels-broadcast/node`.
 *
 * @example
 * "use server";
 * import { sendToUser } from "next-channels-broadcast/server";
 * await sendToUser(session.user.id, "Your import finished!", { level: "success" });
 */
export {
  notify,
  sendToAll,
  sendToAuthenticated,
  sendToAnonymous,
  sendToUser,
  sendToObject,
  sendToChannel,
  redirectAll,
  redirectAuthenticated,
  redirectAnonymous,
  redirectUser,
  redirectObject,
  redirectChannel,
  progressAll,
  progressAuthenticated,
  progressAnonymous,
  progressUser,
  progressObject,
  progressChannel,
  refresh,
  refreshObject,
  refreshChannel,
  refreshOriginOf,
  currentWatermark,
  checkIdempotencyKey,
  MAX_IDEMPOTENCY_KEY_LENGTH,
} from "./send.js";
export type { Payload, EventPayload, RefreshPayload, RefreshOptions, SendOptions, SendResult, Level, MessageOptions, ObjectRef, Target, UserRef, SendApi } from "./send.js";
export {
  listNotifications,
  countUnread,
  markRead,
  markUnread,
  markSeen,
  archive,
  unarchive,
  createCenterApi,
  CENTER_EVENT,
  type CenterApi,
  type CenterItem,
  type CenterPage,
  type CenterChangeResult,
  type CenterEventData,
  type CenterChange,
  type CenterFilter,
  type ListNotificationsOptions,
} from "./center.js";
export { getStats, type NotificationStats, type GetStatsOptions, type RecentSend } from "./stats.js";
export { createEventEmitter, type EmitOptions, type EventEmitter } from "./events.js";
export { defineEvents, type EventDefinitions, type EventData, type EventInput, type EventName } from "../shared/events.js";
export { createNotifications, defaultNotifications, type CreateNotificationsOptions, type Notifications } from "./instance.js";
export { getClientSettings, type ClientSettings } from "./client-settings.js";
export { reauthenticateUser, revokeSession, revokeUserSessions, isSessionRevoked, DEFAULT_REVOCATION_TTL_MS, type RevokeOptions } from "./sessions.js";
export { closeRuntime } from "./runtime.js";
export { getPresence } from "./presence/read.js";
export type { PresenceView } from "./presence/entry.js";
export {
  issueSubscriptionToken,
  verifySubscriptionToken,
  checkSubscriptionToken,
  type TokenCheck,
  DEFAULT_TOKEN_TTL_SECONDS,
  MAX_TOKEN_TTL_SECONDS,
  type IssueTokenOptions,
} from "./auth/tokens.js";
export { objectChannel, rowChannel, type RowRef } from "./objects.js";
export { sameOriginPath, sameSitePath, isAllowedNotificationURL } from "../shared/urls.js";
export {
  createPublishHandler,
  IDEMPOTENCY_KEY_HEADER,
  PUBLISH_ENV_NAMES,
  type PublishHandler,
  type PublishHandlerOptions,
  type ObjectResolution,
  type TargetResolvers,
} from "./http/index.js";
export type { Authorizer } from "./auth/authorizer.js";
export { readSettings, DEFAULT_SETTINGS, SETTING_ENV_NAMES, type NotificationSettings } from "./settings.js";
export {
  NotificationError,
  InvalidNotificationError,
  InvalidSettingError,
  PublishError,
  StoreError,
  IdempotencyConflictError,
  UnknownNotificationError,
  type NotificationErrorCode,
} from "../shared/errors.js";
export { MissingDependencyError } from "./optional.js";
