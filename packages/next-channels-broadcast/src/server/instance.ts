/**
 * Notification instances: the send API, tokens, session controls and the publish handler bound to
 * ONE runtime (settings, channel layer, store, authentication), so several can live in one
 * process without seeing each other's sends (a test suite, two apps behind one server, a library).
 *
 * The package's top-level functions are the default instance: the same binding, to the process
 * runtime (`getRuntime()`, installed on `globalThis` by `startNotificationsServer` or
 * `connectFromEnv`). One mechanism: `bindNotifications(runtimeOf)`.
 *
 * The gateway is not created here: this module is part of `next-channels-broadcast/server`, which
 * Next bundles and which must not load `ws`. `attachGateway` / `createGateway({ notifications })`
 * in `next-channels-broadcast/node` build it from an instance.
 */
import { InvalidSettingError } from "../shared/errors.js";
import type { Authorizer } from "./auth/authorizer.js";
import { createRevocationList } from "./auth/revocation.js";
import type { Authenticate } from "./auth/session.js";
import { checkSubscriptionToken, issueSubscriptionToken, type IssueTokenOptions, type TokenCheck } from "./auth/tokens.js";
import { clientSettingsOf, type ClientSettings } from "./client-settings.js";
import { createPublishHandler, type PublishHandler, type PublishHandlerOptions } from "./http/publish-handler.js";
import { createMemoryLayer } from "./layer/memory.js";
import type { ChannelLayer } from "./layer/types.js";
import { closeRuntime, getRuntime, type NotificationsRuntime } from "./runtime.js";
import { createCenterApi, type CenterApi } from "./center.js";
import { createSendApi, type SendApi } from "./send.js";
import { isSessionRevokedWith, reauthenticateUserWith, revokeSessionWith, revokeUserSessionsWith, type RevokeOptions } from "./sessions.js";
import { readSettings, type NotificationSettings } from "./settings.js";
import type { UserRef } from "./audience.js";
import type { NotificationStore } from "./store/types.js";

export interface CreateNotificationsOptions {
  /** Settings given in code, on top of `env` (same names and bounds as `readSettings`). */
  settings?: Partial<NotificationSettings>;
  /** Where settings are read from. Default `process.env`; pass `{}` to ignore the environment. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The channel layer. Default: a new in-memory layer (this process only). */
  layer?: ChannelLayer;
  /** Stored notifications (ids, inbox, replay), e.g. `createDrizzleStore(db)`. Default: none. */
  store?: NotificationStore;
  /** Who is behind a websocket handshake, for this instance's gateway. Default: the gateway's (everyone anonymous). */
  authenticate?: Authenticate;
  /** Decides client-requested channels on this instance's gateway. Default: deny all. */
  authorizer?: Authorizer;
  /** Key of this instance's subscription tokens. Default: `AUTH_SECRET`. */
  tokenSecret?: string;
}

/** One instance: what it sends with, and every function bound to it. */
export interface Notifications extends SendApi, CenterApi {
  /** Settings, layer, store, revocations and gateway hooks of this instance (read per call for the default instance). */
  readonly runtime: NotificationsRuntime;
  /** What `<NotificationsProvider>` needs. @example const { path, anonymousEnabled } = notifications.getClientSettings(); */
  getClientSettings(): ClientSettings;
  /** Makes every socket of `user` on this instance reconnect. @example after(() => notifications.reauthenticateUser(userId)); */
  reauthenticateUser(user: UserRef): Promise<void>;
  /** Revokes one session on this instance. @example await notifications.revokeSession({ userId, sessionId }); */
  revokeSession(session: { userId: UserRef; sessionId: string }, options?: RevokeOptions): Promise<void>;
  /** Revokes every session of a user on this instance. @example await notifications.revokeUserSessions(userId); */
  revokeUserSessions(user: UserRef, options?: RevokeOptions): Promise<void>;
  /** Whether a session was revoked on this instance. @example await notifications.isSessionRevoked({ userId: "42", sessionId: "s1" }); */
  isSessionRevoked(session: { userId: UserRef; sessionId?: string | null; issuedAt?: number | null }): Promise<boolean>;
  /** A subscription token signed with this instance's key. @example notifications.issueSubscriptionToken({ user: null, channels: ["jobs-7"] }); */
  issueSubscriptionToken(options: IssueTokenOptions): string;
  /** Checks a token against this instance's key. @example notifications.checkSubscriptionToken(token, "42"); */
  checkSubscriptionToken(token: unknown, userId: string | null, options?: { now?: number }): TokenCheck;
  /**
   * The HTTP publish endpoint, sending through this instance.
   * @example export const POST = notifications.createPublishHandler({ resolveUser });
   */
  createPublishHandler(options?: Omit<PublishHandlerOptions, "runtime">): PublishHandler;
  /** Closes this instance's layer and store. @example await notifications.close(); */
  close(): Promise<void>;
}

/**
 * Binds every function of an instance to `runtimeOf()` (read at each call).
 *
 * @example
 * const instance = bindNotifications(() => runtime, async () => runtime.layer.close());
 */
export function bindNotifications(runtimeOf: () => NotificationsRuntime, close: () => Promise<void>): Notifications {
  return {
    ...createSendApi(runtimeOf),
    ...createCenterApi(runtimeOf),
    get runtime() {
      return runtimeOf();
    },
    getClientSettings: () => clientSettingsOf(runtimeOf().settings),
    reauthenticateUser: (user) => reauthenticateUserWith(runtimeOf(), user),
    revokeSession: (session, options) => revokeSessionWith(runtimeOf(), session, options),
    revokeUserSessions: (user, options) => revokeUserSessionsWith(runtimeOf(), user, options),
    isSessionRevoked: (session) => isSessionRevokedWith(runtimeOf(), session),
    issueSubscriptionToken: (options) => issueSubscriptionToken({ secret: runtimeOf().tokenSecret, ...options }),
    checkSubscriptionToken: (token, userId, options = {}) => checkSubscriptionToken(token, userId, { ...options, secret: runtimeOf().tokenSecret }),
    createPublishHandler: (options = {}) => createPublishHandler({ ...options, runtime: runtimeOf }),
    close,
  };
}

/**
 * The default instance: the package's top-level functions, as an object. Bound to the process
 * runtime, read at each call, so it follows `startNotificationsServer` / `connectFromEnv`. Hand it
 * to code that takes an instance; `close()` is `closeRuntime()`.
 *
 * @example
 * import { defaultNotifications } from "next-channels-broadcast/server";
 * await defaultNotifications.sendToUser(userId, "Hello"); // same as sendToUser(userId, "Hello")
 */
export const defaultNotifications: Notifications = bindNotifications(getRuntime, closeRuntime);

const OPTION_NAMES: readonly (keyof CreateNotificationsOptions)[] = ["settings", "env", "layer", "store", "authenticate", "authorizer", "tokenSecret"];
const STORE_METHODS = ["save", "saveProgress", "pendingInbox", "missedSince", "latestProgress", "ackInbox", "revoke", "revocations", "currentWatermark", "close"] as const;

function shown(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : JSON.stringify(value) ?? typeof value;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function checkOptions(options: unknown): CreateNotificationsOptions {
  if (options === undefined) return {};
  if (!isPlainObject(options)) throw new InvalidSettingError("createNotifications(options)", `expected an object, got ${shown(options)}.`);
  for (const key of Object.keys(options)) {
    if (!(OPTION_NAMES as readonly string[]).includes(key)) {
      throw new InvalidSettingError(key, `is not an option of createNotifications (known: ${OPTION_NAMES.join(", ")}).`);
    }
  }
  const { settings, env, layer, store, authenticate, authorizer, tokenSecret } = options as CreateNotificationsOptions;
  if (settings !== undefined && !isPlainObject(settings)) throw new InvalidSettingError("settings", `expected an object of settings, got ${shown(settings)}.`);
  if (env !== undefined && !isPlainObject(env)) throw new InvalidSettingError("env", `expected an object of environment variables, got ${shown(env)}.`);
  if (layer !== undefined) {
    const candidate = layer as Partial<Record<keyof ChannelLayer, unknown>> | null;
    const ok = isPlainObject(candidate) && typeof candidate.kind === "string" && ["publish", "subscribe", "close"].every((name) => typeof candidate[name as keyof ChannelLayer] === "function");
    if (!ok) throw new InvalidSettingError("layer", "expected a channel layer ({ kind, publish, subscribe, close }), e.g. createMemoryLayer() or createRedisLayer({ url }) from next-channels-broadcast/redis.");
  }
  if (store !== undefined) {
    const candidate = store as unknown as Record<string, unknown> | null;
    const missing = isPlainObject(candidate) ? STORE_METHODS.filter((name) => typeof candidate[name] !== "function") : ["(not an object)"];
    if (missing.length > 0) throw new InvalidSettingError("store", `expected a notification store, e.g. createDrizzleStore(db); missing ${missing.join(", ")}.`);
  }
  if (authenticate !== undefined && typeof authenticate !== "function") {
    throw new InvalidSettingError("authenticate", `expected a function (req) => Promise<SocketUser | null>, e.g. authjsAuthenticate(); got ${shown(authenticate)}.`);
  }
  if (authorizer !== undefined && typeof authorizer !== "function") {
    throw new InvalidSettingError("authorizer", `expected a function (user, channel) => boolean | Promise<boolean>; got ${shown(authorizer)}.`);
  }
  if (tokenSecret !== undefined && (typeof tokenSecret !== "string" || tokenSecret.length === 0)) {
    throw new InvalidSettingError("tokenSecret", `expected a non-empty string; got ${shown(tokenSecret)}.`);
  }
  return options as CreateNotificationsOptions;
}

/**
 * Creates an explicit instance: its own settings, channel layer and store, and every send function
 * bound to them. Nothing is installed process-wide: the top-level `sendToUser` & co. do not see it,
 * and another instance's gateway does not receive its sends. Give the same instance to its gateway
 * (`attachGateway(httpServer, notifications)` or `startNotificationsServer({ notifications })` from
 * `next-channels-broadcast/node`).
 *
 * Bad arguments throw `InvalidSettingError` (code `INVALID_SETTING`) naming the option or setting.
 *
 * Note: Next compiles the app into its own module graph, apart from `server.ts`. A module-level
 * instance imported by both would exist twice; with the in-memory layer the two copies would not
 * hear each other. Bridge them with `startNotificationsServer({ notifications })` (which makes the
 * instance the process default) or a Redis layer.
 *
 * @example
 * import { createNotifications } from "next-channels-broadcast/server";
 * import { attachGateway } from "next-channels-broadcast/node";
 *
 * const admin = createNotifications({ settings: { enableAnonymous: false }, authenticate, authorizer });
 * attachGateway(httpServer, admin);
 * await admin.sendToUser(userId, "Export ready", { level: "success" });
 */
export function createNotifications(options?: CreateNotificationsOptions): Notifications {
  const checked = checkOptions(options);
  const settings = readSettings(checked.env ?? process.env, checked.settings ?? {});
  const layer = checked.layer ?? createMemoryLayer();
  const runtime: NotificationsRuntime = {
    settings,
    layer,
    revocations: createRevocationList({ store: checked.store }),
    ...(checked.store ? { store: checked.store } : {}),
    ...(checked.authenticate ? { authenticate: checked.authenticate } : {}),
    ...(checked.authorizer ? { authorizer: checked.authorizer } : {}),
    ...(checked.tokenSecret ? { tokenSecret: checked.tokenSecret } : {}),
  };
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const results = await Promise.allSettled([layer.close(), checked.store?.close()]);
      const failed = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
      if (failed) throw failed.reason;
    })();
    return closing;
  };
  return bindNotifications(() => runtime, close);
}
