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
} from "./send";
export type { Payload, SendResult, Level, MessageOptions, ObjectRef, Target, UserRef } from "./send";
export { getClientSettings, type ClientSettings } from "./client-settings";
export { readSettings, DEFAULT_SETTINGS, SETTING_ENV_NAMES, type NotificationSettings } from "./settings";
export {
  NotificationError,
  InvalidNotificationError,
  InvalidSettingError,
  PublishError,
  type NotificationErrorCode,
} from "../shared/errors";
