/**
 * Server entry point of the kit: the send API and what server components need.
 * Import from server code only (server actions, route handlers, scripts, `server.ts`).
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
  currentWatermark,
  checkIdempotencyKey,
  MAX_IDEMPOTENCY_KEY_LENGTH,
} from "./send";
export type { Payload, SendOptions, SendResult, Level, MessageOptions, ObjectRef, Target, UserRef } from "./send";
export { getClientSettings, type ClientSettings } from "./client-settings";
export { reauthenticateUser, revokeSession, revokeUserSessions, isSessionRevoked, DEFAULT_REVOCATION_TTL_MS, type RevokeOptions } from "./sessions";
export { closeRuntime } from "./runtime";
export {
  issueSubscriptionToken,
  verifySubscriptionToken,
  checkSubscriptionToken,
  type TokenCheck,
  DEFAULT_TOKEN_TTL_SECONDS,
  MAX_TOKEN_TTL_SECONDS,
  type IssueTokenOptions,
} from "./auth/tokens";
export { objectChannel, rowChannel, findObjectByChannel, type RowRef, type ObjectLookup, type ObjectLookupFailure } from "./objects";
export type { Authorizer } from "./auth/authorizer";
export { readSettings, DEFAULT_SETTINGS, SETTING_ENV_NAMES, type NotificationSettings } from "./settings";
export {
  NotificationError,
  InvalidNotificationError,
  InvalidSettingError,
  PublishError,
  StoreError,
  IdempotencyConflictError,
  type NotificationErrorCode,
} from "../shared/errors";
