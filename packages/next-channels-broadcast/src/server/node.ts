/**
 * `next-channels-broadcast/node`: for `server.ts`, workers and scripts — never bundled by Next.
 * Starts Next.js with the websocket gateway on one port, wires a gateway by hand, or connects a
 * worker to the same layer and store as the server (`connectFromEnv`). Redis and database drivers
 * are loaded only when the environment asks for them.
 *
 * @example
 * import { startNotificationsServer } from "next-channels-broadcast/node";
 * const running = await startNotificationsServer();
 */
export { startNotificationsServer, type StartOptions, type RunningServer } from "./next-server.js";
export { connectFromEnv, type ConnectFromEnvOptions } from "./connect-from-env.js";
export { attachGateway, type AttachGatewayOptions } from "./attach.js";
export { createGateway, trustedGroups, type Gateway, type GatewayOptions, type GatewayStats, type AckEvent } from "./gateway/index.js";
export { groupAudience, frameKind, type GatewayObserver, type GroupAudience, type SocketKind, type CutReason } from "./gateway/observer.js";
export { createNotificationMetrics, type NotificationMetrics, type MetricsSources, type SendObserver } from "./metrics.js";
export { createLogger, getLogger, setLogger, LOG_LEVELS, LOG_FORMATS, type NotificationsLogger, type LogLevel, type LogFormat, type CreateLoggerOptions } from "./logger.js";
export { createOpsEndpoints, type OpsEndpoints, type OpsEndpointsOptions, type Readiness } from "./http/ops.js";
export { authjsAuthenticate, type AuthjsAuthenticateOptions } from "./auth/authjs.js";
export type { Authenticate, SocketUser } from "./auth/session.js";
export { denyAll, type Authorizer } from "./auth/authorizer.js";
export { createRevocationList, type RevocationList, type RevocationListOptions } from "./auth/revocation.js";
export { createMemoryLayer } from "./layer/memory.js";
export { createLayerFromEnv, LAYER_ENV_NAMES } from "./layer/from-env.js";
export { DEFAULT_REDIS_PREFIX } from "./layer/redis-url.js";
export type { ChannelLayer, LayerListener, LayerStatusListener } from "./layer/types.js";
export { installRuntime, uninstallRuntime, getRuntime, peekRuntime, closeRuntime, type NotificationsRuntime } from "./runtime.js";
export { readSettings, DEFAULT_SETTINGS, SETTING_ENV_NAMES, parseIntegerSetting, parseBooleanSetting, type NotificationSettings } from "./settings.js";
/** The client's address behind `NOTIFICATIONS_TRUSTED_PROXIES` proxies: the same rule the gateway's caps use, for an app's own limits. */
export { clientAddress } from "./gateway/admission.js";
export { LAST_ID_PARAM, parseLastId } from "./store/replay.js";
export type { NotificationStore, StoredNotification, StorableFrame, InboxAck, RevocationSubject, CleanupOptions } from "./store/types.js";
export { MissingDependencyError } from "./optional.js";
