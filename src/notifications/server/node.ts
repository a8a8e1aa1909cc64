/**
 * Node entry point of the kit, for `server.ts` and for wiring the gateway by hand.
 * (The send API lives in `./index.ts` and works from any server code.)
 */
export { startNotificationsServer, type StartOptions, type RunningServer } from "./next-server";
export { createGateway, trustedGroups, type Gateway, type GatewayOptions, type AckEvent } from "./gateway";
export { authjsAuthenticate, type AuthjsAuthenticateOptions } from "./auth/authjs";
export type { Authenticate, SocketUser } from "./auth/session";
export { denyAll, type Authorizer } from "./auth/authorizer";
export { createMemoryLayer } from "./layer/memory";
export { createRedisLayer, DEFAULT_REDIS_PREFIX, type RedisLayer, type RedisLayerOptions } from "./layer/redis";
export { createLayerFromEnv, LAYER_ENV_NAMES } from "./layer/from-env";
export type { ChannelLayer, LayerListener } from "./layer/types";
export { installRuntime, getRuntime, type NotificationsRuntime } from "./runtime";
export { readSettings, type NotificationSettings } from "./settings";
export {
  createDrizzleStore,
  readStoreSettings,
  DEFAULT_STORE_SETTINGS,
  STORE_SETTING_ENV_NAMES,
  notifications,
  notificationProgress,
  type DrizzleStoreOptions,
  type StoreDatabase,
  type StoreSettings,
  type NotificationStore,
  type StoredNotification,
  type StorableFrame,
  type CleanupOptions,
} from "./store";
export { LAST_ID_PARAM, parseLastId } from "./store/replay";
export { createStoreFromEnv, STORE_ENV_NAMES, type StoreFromEnvOptions } from "./store/from-env";
export { closeRuntime } from "./runtime";
export { startOutboxConsumer, type OutboxConsumer, type OutboxConsumerOptions } from "./layer/outbox-consumer";
export * from "./http";
