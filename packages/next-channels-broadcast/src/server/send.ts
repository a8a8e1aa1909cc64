/**
 * The send API: one general `notify(target, payload)` and the 18 audience × kind shortcuts.
 * Each returns whether it sent; a disabled audience is a no-op that reports so.
 *
 * One mechanism for every instance: `createSendApi(runtimeOf)` binds the functions to a runtime
 * (an explicit `createNotifications()` instance binds its own; the exported functions below are
 * the default instance's, bound to the process runtime `getRuntime()`).
 */
import { InvalidNotificationError, NotificationError, PublishError, StoreError } from "../shared/errors.js";
import { REFRESH_ORIGIN_FIELD, type Level } from "../shared/protocol.js";
import { resolveTarget, type ObjectRef, type Target, type UserRef } from "./audience.js";
import { buildSendFrame, type MessageOptions, type SendFrame } from "./payload.js";
import { warnIfUnreachable } from "./reach.js";
import { getRuntime, type NotificationsRuntime, type RecentSend } from "./runtime.js";
import { storedWireText } from "./store/wire.js";
import { audienceGate, type AudienceKind } from "./settings.js";

/** What to send. */
export type Payload =
  | ({ message: string } & MessageOptions)
  | { redirect: string }
  | { progress: number | string }
  | EventPayload
  | RefreshPayload;

/**
 * An app event, untyped (prefer `createEventEmitter(events).emit`, which checks `data` against
 * the event's schema). `durable`: stored and replayed like a message; default false, live only.
 * Without a store every event is live only, as every message is.
 */
export interface EventPayload {
  event: string;
  data: unknown;
  durable?: boolean;
}

/** "Render this channel's pages again" (see `refresh`). */
export interface RefreshPayload {
  refresh: true;
  /** The tab whose own action caused it (`getTabId()`); it skips the refresh. */
  origin?: string | null;
}

/** Options of `refresh` and its shortcuts. */
export interface RefreshOptions {
  /**
   * The tab whose own action caused the change (`getTabId()` in the browser, sent with the form
   * as `<RefreshOriginField />`; read it with `refreshOriginOf(formData)`): it re-renders anyway
   * and skips this refresh.
   */
  origin?: string | null;
}

/** The outcome of a send. */
export type SendResult =
  | { sent: true; group: string; /** The stored row's id (messages and redirects, when a store is configured). */ id?: number }
  | { sent: false; group: string; reason: "audience-disabled"; setting: string };

export type { Level, MessageOptions, ObjectRef, Target, UserRef };

/** Longest idempotency key accepted. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/** Options of `notify` / `notifyWith`. */
export interface SendOptions {
  /**
   * Names this send so a retry is not a second notification (1 to 200 characters, e.g. a job id
   * or `order-42-shipped`). Needs a store: with one, a send whose key is already stored stores
   * nothing new and publishes the frame again under the ORIGINAL id (live browsers drop it as
   * already seen, one that missed it gets it), and the result carries that id. Keys last as long
   * as their rows: a user's inbox row `NOTIFICATIONS_INBOX_RETENTION_MS` (7 days), any other row
   * `NOTIFICATIONS_RECOVERY_WINDOW_MS` (2 minutes) until the cleanup deletes it; then a key is new again.
   * Reuse a key only for the same send: a reused key never stores the new content.
   *
   * Without a store the key is checked but cannot be honoured: live-only sends keep no memory,
   * so every call is published. Progress is never stored per send either (it replaces the
   * group's latest value), so a key on a progress update changes nothing.
   */
  idempotencyKey?: string;
}

/**
 * Checks an idempotency key: `undefined` passes through, anything else must be a string of 1 to
 * 200 characters. Throws `InvalidNotificationError` otherwise.
 *
 * @example
 * checkIdempotencyKey("order-42-shipped") // "order-42-shipped"
 * checkIdempotencyKey("")                 // throws InvalidNotificationError
 */
export function checkIdempotencyKey(key: unknown): string | undefined {
  if (key === undefined) return undefined;
  if (typeof key !== "string") throw new InvalidNotificationError("INVALID_ARGUMENT", `idempotencyKey must be a string, got ${key === null ? "null" : typeof key}.`);
  if (key.length === 0) throw new InvalidNotificationError("INVALID_ARGUMENT", "idempotencyKey must not be empty.");
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new InvalidNotificationError("INVALID_ARGUMENT", `idempotencyKey is ${key.length} characters long; at most ${MAX_IDEMPOTENCY_KEY_LENGTH} are allowed.`);
  }
  return key;
}

/**
 * Whether a frame is stored (given a store): messages and redirects always; events when durable;
 * refreshes always (a tab that was reconnecting recovers one by position). Progress is kept as
 * its group's latest value instead.
 */
function isStored(frame: SendFrame, payload: Payload): boolean {
  if (frame.type === "event") return (payload as EventPayload).durable === true;
  return frame.type !== "progress";
}

/**
 * With a store: saves the frame first (a message or redirect gets its id, a user target becomes an
 * inbox row, progress replaces the group's latest) and returns the wire text. Throws `StoreError`.
 */
async function storeFirst(
  runtime: NotificationsRuntime,
  audience: AudienceKind,
  group: string,
  frame: SendFrame,
  stored: boolean,
  idempotencyKey: string | undefined,
): Promise<{ text: string; id?: number }> {
  const store = runtime.store;
  if (!store || (!stored && frame.type !== "progress")) return { text: JSON.stringify(frame) };
  try {
    if (frame.type === "progress") {
      // The version travels with the frame: a late subscriber's replayed value and this live one
      // may cross, and the browser keeps the higher version.
      const v = await store.saveProgress(group, frame);
      return { text: JSON.stringify({ ...frame, v }) };
    }
    const { id: _none, ...storable } = frame;
    // A user's messages, redirects and durable events wait in their inbox until a tab acks them;
    // a refresh is only worth something to a page open now, so it is recovered by position only.
    const inbox = audience === "user" && frame.type !== "refresh";
    // A known key answers the stored row's id: the frame below then goes out again under it.
    const id = await store.save(group, storable, idempotencyKey === undefined ? { inbox } : { inbox, idempotencyKey });
    // Byte for byte what a replay of this row sends: a user's inbox row asks for an ack.
    return { text: storedWireText(storable, id, inbox), id };
  } catch (error) {
    if (error instanceof NotificationError) throw error;
    throw new StoreError(`Could not store the notification for ${group}; nothing was sent.`, { cause: error });
  }
}

/**
 * Sends `payload` to `target` using `runtime`. Validates first (typed errors), then checks the
 * audience's gate, then stores it (when the runtime has a store), then publishes one serialised
 * frame to the target's group. A failed publish after a successful store still throws
 * `PublishError`, but the row stays and is replayed on the next connect.
 *
 * `options.idempotencyKey` (see `SendOptions`): with a store, a repeated key stores nothing new
 * and publishes again under the original id, so retrying after a failure is safe. Without a
 * store it cannot be honoured (nothing remembers earlier sends) and every call is published.
 */
export async function notifyWith(runtime: NotificationsRuntime, target: Target, payload: Payload, options: SendOptions = {}): Promise<SendResult> {
  const { audience, group } = resolveTarget(target);
  const frame = buildSendFrame(payload, group);
  const idempotencyKey = checkIdempotencyKey((options as SendOptions | null | undefined)?.idempotencyKey);
  const gate = audienceGate(runtime.settings, audience);
  if (!gate.enabled) return { sent: false, group, reason: "audience-disabled", setting: gate.setting };
  warnIfUnreachable(runtime.layer, runtime.store, group);
  const { text, id } = await storeFirst(runtime, audience, group, frame, isStored(frame, payload), idempotencyKey);
  try {
    await runtime.layer.publish(group, text);
  } catch (error) {
    // Nothing was stored: the layer's own error says it all.
    if (id === undefined && error instanceof NotificationError) throw error;
    const stored = id === undefined ? "" : ` It is stored as notification ${id} and will be replayed on the next connect.`;
    throw new PublishError(`Could not publish to ${group} through the ${runtime.layer.kind} layer.${stored}`, { cause: error, storedId: id });
  }
  try {
    runtime.onPublished?.(frame.type, audience);
  } catch {
    // Counting never fails a send that went out.
  }
  rememberSend(runtime, { at: new Date().toISOString(), kind: frame.type, audience, group, ...(id === undefined ? {} : { id }), receivers: runtime.gateway?.groupSize(group) ?? null });
  return id === undefined ? { sent: true, group } : { sent: true, group, id };
}

/** Sends `getStats()` lists (the newest of this process). */
export const RECENT_SENDS_KEPT = 50;

function rememberSend(runtime: NotificationsRuntime, send: RecentSend): void {
  const recent = (runtime.recentSends ??= []);
  recent.push(send);
  if (recent.length > RECENT_SENDS_KEPT) recent.splice(0, recent.length - RECENT_SENDS_KEPT);
}

/**
 * The send functions of one instance. The package's top-level `notify`, `sendToUser`, … are the
 * default instance's (`getRuntime()`); `createNotifications()` returns an object with the same
 * functions bound to its own layer, store and settings.
 */
export interface SendApi {
  /**
   * Sends a message, redirect or progress update to any audience.
   * @example await notifications.notify({ user: session.user.id }, { message: "Import finished", level: "success" });
   */
  notify(target: Target, payload: Payload, options?: SendOptions): Promise<SendResult>;
  /** The largest stored notification id, or null without a store. @example const watermark = await notifications.currentWatermark(); */
  currentWatermark(): Promise<number | null>;
  /** Message to every tab (`ENABLE_ALL`). @example await notifications.sendToAll("Maintenance at 18:00", { level: "warning" }); */
  sendToAll(text: string, options?: MessageOptions): Promise<boolean>;
  /** Message to every signed-in tab. @example await notifications.sendToAuthenticated("New feature: exports"); */
  sendToAuthenticated(text: string, options?: MessageOptions): Promise<boolean>;
  /** Message to every anonymous tab. @example await notifications.sendToAnonymous("Sign up to save your work"); */
  sendToAnonymous(text: string, options?: MessageOptions): Promise<boolean>;
  /** Message to every tab of one user. @example await notifications.sendToUser(alice.id, "Your import finished!", { level: "success" }); */
  sendToUser(user: UserRef, text: string, options?: MessageOptions): Promise<boolean>;
  /** Message on the pages of one row. @example await notifications.sendToObject("articles-42", "New comment"); */
  sendToObject(object: ObjectRef, text: string, options?: MessageOptions): Promise<boolean>;
  /** Message on a raw channel. @example await notifications.sendToChannel(jobId, "Job queued"); */
  sendToChannel(channel: string, text: string, options?: MessageOptions): Promise<boolean>;
  /** Moves every tab. @example await notifications.redirectAll("/maintenance"); */
  redirectAll(url: string): Promise<boolean>;
  /** Moves every signed-in tab. @example await notifications.redirectAuthenticated("/terms"); */
  redirectAuthenticated(url: string): Promise<boolean>;
  /** Moves every anonymous tab. @example await notifications.redirectAnonymous("/signin"); */
  redirectAnonymous(url: string): Promise<boolean>;
  /** Moves every tab of one user. @example await notifications.redirectUser(alice.id, `/reports/${id}`); */
  redirectUser(user: UserRef, url: string): Promise<boolean>;
  /** Moves the pages of one row. @example await notifications.redirectObject("articles-42", "/articles"); */
  redirectObject(object: ObjectRef, url: string): Promise<boolean>;
  /** Moves the sockets on a channel. @example await notifications.redirectChannel(jobId, `/jobs/${jobId}/result`); */
  redirectChannel(channel: string, url: string): Promise<boolean>;
  /** Progress to every tab. @example await notifications.progressAll(42); */
  progressAll(percent: number | string): Promise<boolean>;
  /** Progress to every signed-in tab. @example await notifications.progressAuthenticated(10); */
  progressAuthenticated(percent: number | string): Promise<boolean>;
  /** Progress to every anonymous tab. @example await notifications.progressAnonymous("50%"); */
  progressAnonymous(percent: number | string): Promise<boolean>;
  /** Progress to every tab of one user. @example await notifications.progressUser(alice.id, 42); */
  progressUser(user: UserRef, percent: number | string): Promise<boolean>;
  /** Progress on the pages of one row. @example await notifications.progressObject("imports-7", 80); */
  progressObject(object: ObjectRef, percent: number | string): Promise<boolean>;
  /** Progress on a channel. @example await notifications.progressChannel(jobId, "33.5%"); */
  progressChannel(channel: string, percent: number | string): Promise<boolean>;
  /**
   * Makes every page holding the target's channel and opted in with `<LiveRefresh>` re-render its
   * server components (`router.refresh()`, coalesced). @example await notifications.refresh({ object: article }, { origin });
   */
  refresh(target: Target, options?: RefreshOptions): Promise<boolean>;
  /** `refresh` for the pages of one row. @example await notifications.refreshObject({ table: articles, id: article.id }); */
  refreshObject(object: ObjectRef, options?: RefreshOptions): Promise<boolean>;
  /** `refresh` for a raw channel. @example await notifications.refreshChannel(`jobs-${jobId}`); */
  refreshChannel(channel: string, options?: RefreshOptions): Promise<boolean>;
}

async function sent(result: Promise<SendResult>): Promise<boolean> {
  return (await result).sent;
}

/**
 * The send functions bound to `runtimeOf()` (called once per send, so the default instance follows
 * whatever runtime is installed at the time of the send).
 *
 * @example
 * const api = createSendApi(() => runtime);
 * await api.sendToUser("42", "Hello");
 */
export function createSendApi(runtimeOf: () => NotificationsRuntime): SendApi {
  const notify = (target: Target, payload: Payload, options?: SendOptions) => notifyWith(runtimeOf(), target, payload, options);
  const message = (target: Target, text: string, options?: MessageOptions) => sent(notify(target, { ...options, message: text }));
  const redirect = (target: Target, url: string) => sent(notify(target, { redirect: url }));
  const progress = (target: Target, percent: number | string) => sent(notify(target, { progress: percent }));
  const refreshOf = (target: Target, options: RefreshOptions = {}) => sent(notify(target, { refresh: true, origin: (options as RefreshOptions | null)?.origin ?? null }));
  return {
    notify,
    async currentWatermark() {
      const store = runtimeOf().store;
      return store ? store.currentWatermark() : null;
    },
    sendToAll: (text, options) => message("all", text, options),
    sendToAuthenticated: (text, options) => message("authenticated", text, options),
    sendToAnonymous: (text, options) => message("anonymous", text, options),
    sendToUser: (user, text, options) => message({ user }, text, options),
    sendToObject: (object, text, options) => message({ object }, text, options),
    sendToChannel: (channel, text, options) => message({ channel }, text, options),
    redirectAll: (url) => redirect("all", url),
    redirectAuthenticated: (url) => redirect("authenticated", url),
    redirectAnonymous: (url) => redirect("anonymous", url),
    redirectUser: (user, url) => redirect({ user }, url),
    redirectObject: (object, url) => redirect({ object }, url),
    redirectChannel: (channel, url) => redirect({ channel }, url),
    progressAll: (percent) => progress("all", percent),
    progressAuthenticated: (percent) => progress("authenticated", percent),
    progressAnonymous: (percent) => progress("anonymous", percent),
    progressUser: (user, percent) => progress({ user }, percent),
    progressObject: (object, percent) => progress({ object }, percent),
    progressChannel: (channel, percent) => progress({ channel }, percent),
    refresh: (target, options) => refreshOf(target, options),
    refreshObject: (object, options) => refreshOf({ object }, options),
    refreshChannel: (channel, options) => refreshOf({ channel }, options),
  };
}

/** The default instance's send functions: bound to the process runtime, read at each send. */
const defaults = createSendApi(getRuntime);

/**
 * The largest stored notification id, or null without a store. A server-rendered page hands it
 * to its client, which connects with `?lastId=<watermark>` so a message sent between rendering
 * and subscribing is recovered.
 *
 * @example
 * const watermark = await currentWatermark(); // pass to <NotificationsProvider initialLastId={watermark ?? undefined}>
 */
export function currentWatermark(): Promise<number | null> {
  return defaults.currentWatermark();
}

/**
 * Sends a message, redirect or progress update to any audience.
 *
 * @example
 * await notify({ user: session.user.id }, { message: "Import finished", level: "success" });
 * await notify("all", { message: "Deploy in 5 minutes", level: "warning" });
 * await notify({ channel: jobId }, { progress: 40 });
 * // Safe to retry (needs a store): a second call with the same key is not a second notification.
 * await notify({ user: order.userId }, { message: "Order shipped" }, { idempotencyKey: `order-${order.id}-shipped` });
 */
export function notify(target: Target, payload: Payload, options?: SendOptions): Promise<SendResult> {
  return defaults.notify(target, payload, options);
}

/* --------------------------------------------------------------------------- messages */

/**
 * Shows a message to every connected tab. Returns false when `ENABLE_ALL` is off.
 * @example await sendToAll("Maintenance at 18:00", { level: "warning" });
 */
export function sendToAll(text: string, options?: MessageOptions): Promise<boolean> {
  return defaults.sendToAll(text, options);
}

/**
 * Shows a message to every signed-in tab. Returns false when `ENABLE_AUTHENTICATED` is off.
 * @example await sendToAuthenticated("New feature: exports");
 */
export function sendToAuthenticated(text: string, options?: MessageOptions): Promise<boolean> {
  return defaults.sendToAuthenticated(text, options);
}

/**
 * Shows a message to every anonymous tab. Returns false when `ENABLE_ANONYMOUS` is off (the default).
 * @example await sendToAnonymous("Sign up to save your work");
 */
export function sendToAnonymous(text: string, options?: MessageOptions): Promise<boolean> {
  return defaults.sendToAnonymous(text, options);
}

/**
 * Shows a message in every tab of one user. Returns false when `ENABLE_AUTHENTICATED` is off.
 * @example await sendToUser(alice.id, "Your import finished!", { level: "success" });
 */
export function sendToUser(user: UserRef, text: string, options?: MessageOptions): Promise<boolean> {
  return defaults.sendToUser(user, text, options);
}

/**
 * Shows a message on the pages of one database row. Returns false when `ENABLE_PAGE_CHANNELS` is off.
 * @example await sendToObject("articles-42", "New comment");
 */
export function sendToObject(object: ObjectRef, text: string, options?: MessageOptions): Promise<boolean> {
  return defaults.sendToObject(object, text, options);
}

/**
 * Shows a message to the sockets subscribed to a raw channel. Returns false when `ENABLE_PAGE_CHANNELS` is off.
 * @example await sendToChannel(jobId, "Job queued");
 */
export function sendToChannel(channel: string, text: string, options?: MessageOptions): Promise<boolean> {
  return defaults.sendToChannel(channel, text, options);
}

/* -------------------------------------------------------------------------- redirects */

/** Moves every tab to `url` (same-origin only in the browser). @example await redirectAll("/maintenance"); */
export function redirectAll(url: string): Promise<boolean> {
  return defaults.redirectAll(url);
}

/** Moves every signed-in tab to `url`. @example await redirectAuthenticated("/terms"); */
export function redirectAuthenticated(url: string): Promise<boolean> {
  return defaults.redirectAuthenticated(url);
}

/** Moves every anonymous tab to `url`. @example await redirectAnonymous("/signin"); */
export function redirectAnonymous(url: string): Promise<boolean> {
  return defaults.redirectAnonymous(url);
}

/** Moves every tab of one user to `url`. @example await redirectUser(alice.id, `/reports/${id}`); */
export function redirectUser(user: UserRef, url: string): Promise<boolean> {
  return defaults.redirectUser(user, url);
}

/** Moves the pages of one row to `url`. @example await redirectObject("articles-42", "/articles"); */
export function redirectObject(object: ObjectRef, url: string): Promise<boolean> {
  return defaults.redirectObject(object, url);
}

/** Moves the sockets on a channel to `url`. @example await redirectChannel(jobId, `/jobs/${jobId}/result`); */
export function redirectChannel(channel: string, url: string): Promise<boolean> {
  return defaults.redirectChannel(channel, url);
}

/* --------------------------------------------------------------------------- progress */

/** Reports progress to every tab. `42`, `33.5` and `"73%"` are accepted. @example await progressAll(42); */
export function progressAll(percent: number | string): Promise<boolean> {
  return defaults.progressAll(percent);
}

/** Reports progress to every signed-in tab. @example await progressAuthenticated(10); */
export function progressAuthenticated(percent: number | string): Promise<boolean> {
  return defaults.progressAuthenticated(percent);
}

/** Reports progress to every anonymous tab. @example await progressAnonymous("50%"); */
export function progressAnonymous(percent: number | string): Promise<boolean> {
  return defaults.progressAnonymous(percent);
}

/** Reports progress to every tab of one user. @example await progressUser(alice.id, 42); */
export function progressUser(user: UserRef, percent: number | string): Promise<boolean> {
  return defaults.progressUser(user, percent);
}

/** Reports progress on the pages of one row. @example await progressObject("imports-7", 80); */
export function progressObject(object: ObjectRef, percent: number | string): Promise<boolean> {
  return defaults.progressObject(object, percent);
}

/** Reports progress on a channel. @example await progressChannel(jobId, "33.5%"); */
export function progressChannel(channel: string, percent: number | string): Promise<boolean> {
  return defaults.progressChannel(channel, percent);
}

/* ---------------------------------------------------------------------------- refresh */

/**
 * Makes every page that holds the target's channel and is opted in with `<LiveRefresh>` re-render
 * its server components (`router.refresh()`), coalesced, deferred while hidden, skipped by the
 * tab named `origin`. Returns false when the target's audience is disabled.
 *
 * @example
 * // in the server action that saved a comment:
 * await refresh({ object: { table: articles, id: article.id } }, { origin: refreshOriginOf(formData) });
 */
export function refresh(target: Target, options?: RefreshOptions): Promise<boolean> {
  return defaults.refresh(target, options);
}

/** `refresh` for the pages of one row. @example await refreshObject({ table: articles, id: article.id }, { origin }); */
export function refreshObject(object: ObjectRef, options?: RefreshOptions): Promise<boolean> {
  return defaults.refreshObject(object, options);
}

/** `refresh` for a raw channel. @example await refreshChannel(`jobs-${jobId}`); */
export function refreshChannel(channel: string, options?: RefreshOptions): Promise<boolean> {
  return defaults.refreshChannel(channel, options);
}

/**
 * The submitting tab's id from a form that rendered `<RefreshOriginField />`, or null. Pass it as
 * `origin` so that tab (which re-renders after its own action anyway) skips the refresh.
 *
 * @example
 * export async function postComment(formData: FormData) {
 *   …
 *   await refreshObject({ table: articles, id }, { origin: refreshOriginOf(formData) });
 * }
 */
export function refreshOriginOf(formData: FormData): string | null {
  const value = formData.get(REFRESH_ORIGIN_FIELD);
  return typeof value === "string" && value !== "" ? value : null;
}
