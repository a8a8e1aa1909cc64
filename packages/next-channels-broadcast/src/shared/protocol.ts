/**
 * The wire protocol between the gateway and the browser, as zod schemas.
 *
 * Server → client frames `message`, `redirect` and `progress` keep the exact shape of the
 * original django-channels-broadcast client, so its browser script still works against our
 * server. Our own control frames (`hello`, `subscribed`, `error`) carry none of the fields
 * that client reacts to (`text`, `url`, `progress`), so it ignores them.
 */
import { z } from "zod";
import { presenceDiffFrameSchema, presenceFrameSchema } from "./presence.js";

/** Levels a message can have; each maps to the `cssClass` field on the wire. */
export const LEVELS = ["info", "success", "warning", "error"] as const;
export type Level = (typeof LEVELS)[number];

/** Id of a stored notification: a non-negative safe integer (0 included). */
export const notificationIdSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * `ack: true` marks a stored frame the client must acknowledge: a user's inbox row, replayed until
 * one of their tabs acks it. Other frames with an id (broadcasts, page channels) are recovered by
 * position instead and need no ack; the original client acks every id anyway, which costs nothing.
 */
const ackRequestSchema = z.literal(true).optional();

export const messageFrameSchema = z.object({
  type: z.literal("message"),
  id: notificationIdSchema.optional(),
  ack: ackRequestSchema,
  text: z.string(),
  cssClass: z.enum(LEVELS),
  clickURL: z.string().nullable(),
  closeURL: z.string().nullable(),
  hideCloseOption: z.boolean(),
  /**
   * The public name of the audience it was sent to (as on progress frames): `all`, `user:7`,
   * `articles-42`… Lets a browser route it to the tabs holding that channel when they share one
   * socket, and mute a channel's toasts. Absent on rows stored by older versions.
   */
  channel: z.string().optional(),
});
export type MessageFrame = z.infer<typeof messageFrameSchema>;

export const redirectFrameSchema = z.object({
  type: z.literal("redirect"),
  id: notificationIdSchema.optional(),
  ack: ackRequestSchema,
  url: z.string(),
  /** The public name of the audience it was sent to (see the message frame). */
  channel: z.string().optional(),
});
export type RedirectFrame = z.infer<typeof redirectFrameSchema>;

export const progressFrameSchema = z.object({
  type: z.literal("progress"),
  progress: z.literal(true),
  /** Always a string ending in `%`, e.g. `"42%"`. */
  percent: z.string(),
  /** The public name of the audience the progress belongs to (see `channels.ts`). */
  channel: z.string(),
  /**
   * Version of this group's progress (grows with every stored update), present when a store keeps
   * progress. A replayed value and a live one can cross; the higher version wins, so an older
   * value never overwrites a newer one.
   */
  v: z.number().int().nonnegative().optional(),
});
export type ProgressFrame = z.infer<typeof progressFrameSchema>;

/** Longest event name: dotted words such as `comment.created` (see `shared/events.ts`). */
export const MAX_EVENT_NAME_LENGTH = 100;
/** What an event name looks like: letters, digits, `_`, `-`, `:`, separated by dots. */
export const EVENT_NAME_PATTERN = /^[A-Za-z0-9_:-]+(?:\.[A-Za-z0-9_:-]+)*$/;

/**
 * An app-defined event (`emit(target, "comment.created", data)`): data for the page's code, never
 * a toast. It carries none of `text`, `url`, `progress`, so the original client ignores it. A
 * durable event has an id (stored, replayed like a message; `ack` for a user's inbox row).
 */
export const eventFrameSchema = z.object({
  type: z.literal("event"),
  id: notificationIdSchema.optional(),
  ack: ackRequestSchema,
  event: z.string().max(MAX_EVENT_NAME_LENGTH).regex(EVENT_NAME_PATTERN),
  /** The public name of the audience it was sent to (as on progress frames). */
  channel: z.string(),
  /** JSON data, validated against the app's schema by the sender and again by the receiving hook. */
  data: z.unknown(),
});
export type EventFrame = z.infer<typeof eventFrameSchema>;

/** Name of the form field `<RefreshOriginField />` renders; `refreshOriginOf(formData)` reads it on the server. */
export const REFRESH_ORIGIN_FIELD = "ncb-refresh-origin";

/** Longest refresh origin (a tab id from `getTabId()`). */
export const MAX_ORIGIN_LENGTH = 64;

/**
 * "What this channel shows changed: render it again" (`refresh(target)`): pages opted in with
 * `<LiveRefresh>` call `router.refresh()`, coalesced. `origin` names the tab whose own action
 * caused it (that tab re-renders anyway and skips it). Stored when a store is configured, so a tab
 * that was reconnecting recovers it by position; never an inbox row.
 */
export const refreshFrameSchema = z.object({
  type: z.literal("refresh"),
  id: notificationIdSchema.optional(),
  channel: z.string(),
  origin: z.string().max(MAX_ORIGIN_LENGTH).optional(),
});
export type RefreshFrame = z.infer<typeof refreshFrameSchema>;

/** Sent once right after the socket is accepted and its groups are joined. */
export const helloFrameSchema = z.object({
  type: z.literal("hello"),
  protocol: z.literal(1),
  /** The signed-in user's id, or null for an anonymous socket. */
  userId: z.string().nullable(),
  /** Client-requested channels that were granted at connect time. */
  channels: z.array(z.string()),
  /** Server heartbeat interval, so a client can tell a dead connection. */
  heartbeatMs: z.number().int().positive(),
});
export type HelloFrame = z.infer<typeof helloFrameSchema>;

/**
 * Why (part of) a subscription was refused, machine-readable:
 * - `expired`: the token's signature is valid but it has expired — ask the app for a fresh one;
 * - `invalid`: the token is malformed, tampered, or bound to another user (no more detail is given);
 * - `denied`: the authorizer did not grant the channel (or the name is reserved or malformed);
 * - `limit`: the socket holds its maximum of channels, or the name is too long;
 * - `disabled`: page channels are switched off (`ENABLE_PAGE_CHANNELS`);
 * - `unavailable`: the channel layer could not be joined right now — retry with backoff.
 */
export const SUBSCRIPTION_REFUSALS = ["expired", "invalid", "denied", "limit", "disabled", "unavailable"] as const;
export type SubscriptionRefusalReason = (typeof SUBSCRIPTION_REFUSALS)[number];

export const subscriptionRefusalSchema = z.object({
  reason: z.enum(SUBSCRIPTION_REFUSALS),
  /** The channel refused; absent when the refusal concerns the token as a whole (or the whole request). */
  channel: z.string().optional(),
});
export type SubscriptionRefusal = z.infer<typeof subscriptionRefusalSchema>;

/**
 * Answer to a `subscribe` / `unsubscribe` frame, sent after it was handled (answers come in the
 * order the frames were sent; see the client frames below).
 */
export const subscribedFrameSchema = z.object({
  type: z.literal("subscribed"),
  /** The `ref` of the frame answered, echoed. */
  ref: z.string().optional(),
  /** Every extra channel the socket holds now, whichever request holds it. */
  channels: z.array(z.string()),
  /**
   * What the answered request holds now: for a `subscribe`, every channel it asked for (by name or
   * through its token) that the socket holds, channels some other request already held included,
   * so a client learns what an opaque token grants; for an `unsubscribe`, always empty.
   */
  granted: z.array(z.string()),
  /** What the answered `subscribe` asked for and did not get, with the reason. Absent when nothing was refused. */
  refused: z.array(subscriptionRefusalSchema).optional(),
});
export type SubscribedFrame = z.infer<typeof subscribedFrameSchema>;

/** A refused client frame. The connection stays open. */
export const errorFrameSchema = z.object({
  type: z.literal("error"),
  /** `rate_limited`: the frame was dropped because its user (or address) is over the client-frame budget. */
  code: z.enum(["invalid_frame", "binary_frame", "unknown_type", "rate_limited"]),
});
export type ErrorFrame = z.infer<typeof errorFrameSchema>;

/**
 * Sent with every server heartbeat. Browsers cannot see protocol-level pings, so this is how a
 * tab notices a connection that died without a close (sleep, network change): silence.
 */
export const pingFrameSchema = z.object({ type: z.literal("ping") });
export type PingFrame = z.infer<typeof pingFrameSchema>;

export const serverFrameSchema = z.discriminatedUnion("type", [
  messageFrameSchema,
  redirectFrameSchema,
  progressFrameSchema,
  eventFrameSchema,
  refreshFrameSchema,
  helloFrameSchema,
  subscribedFrameSchema,
  errorFrameSchema,
  pingFrameSchema,
  presenceFrameSchema,
  presenceDiffFrameSchema,
]);
export type ServerFrame = z.infer<typeof serverFrameSchema>;

/** A frame that carries a notification (as opposed to a control frame). */
export type NotificationFrame = MessageFrame | RedirectFrame | ProgressFrame;

/* ---------------------------------------------------------------- client → server */

/** The original client's acknowledgement of one id (it sends one for every frame with an id). */
export const ackFrameSchema = z.object({
  type: z.literal("ack_message"),
  id: notificationIdSchema,
});
export type AckFrame = z.infer<typeof ackFrameSchema>;

/** Most ids one batched `ack` frame may carry. */
export const MAX_ACK_BATCH = 100;

/**
 * Our client's batched acknowledgement: the ids of frames that asked for one (`ack: true`),
 * collected for a moment and sent together.
 */
export const ackBatchFrameSchema = z.object({
  type: z.literal("ack"),
  ids: z.array(notificationIdSchema).min(1).max(MAX_ACK_BATCH),
});
export type AckBatchFrame = z.infer<typeof ackBatchFrameSchema>;

/**
 * Channel lists from clients are bounded here only loosely (the gateway applies the
 * configured limits); the point is to refuse absurd frames before any work is done.
 */
const clientChannelListSchema = z.array(z.string()).max(10_000);

/**
 * Live subscriptions are reference counted per socket by request `ref`:
 *
 * - `{"type":"subscribe","ref":"s1","token":"…","channels":[…]}` asks for channels (each checked
 *   by the authorizer) and/or what a signed token names. The socket holds each granted channel on
 *   behalf of `s1`; a channel another request already holds is shared, not taken twice (the
 *   per-socket limit counts distinct channels). Sending the same `ref` again adds to what it holds.
 *   Without `ref` the channels are held with no owner, until a `channels` unsubscribe drops them.
 * - `{"type":"unsubscribe","ref":"s1"}` (no `channels`) releases what the subscribe `s1` holds.
 *   A channel is left only when no other request (and no ref-less subscribe) still holds it, so
 *   subscribing with a new request before releasing the old one never drops a channel both hold:
 *   a page re-rendered with a new token for the same channel keeps receiving throughout.
 * - `{"type":"unsubscribe","channels":[…]}` (the original form; a `ref` here only names the answer)
 *   drops those channels outright, whoever holds them.
 *
 * Each is answered by `subscribed`. A socket's frames are handled one at a time in arrival order.
 *
 * `lastId` is the client's position (the highest notification id it has accounted for): the
 * server sends the new channels' stored rows above it (within the recovery window) before their
 * live frames, exactly as at connect. Without it only the latest progress is sent.
 */
export const subscribeFrameSchema = z.object({
  type: z.literal("subscribe"),
  ref: z.string().max(64).optional(),
  channels: clientChannelListSchema.optional(),
  token: z.string().max(8_192).optional(),
  lastId: notificationIdSchema.optional(),
});
export type SubscribeFrame = z.infer<typeof subscribeFrameSchema>;

/** Either `channels` (drop them outright) or, without it, `ref` (release that subscribe). */
export const unsubscribeFrameSchema = z
  .object({
    type: z.literal("unsubscribe"),
    ref: z.string().max(64).optional(),
    channels: clientChannelListSchema.optional(),
  })
  .refine((frame) => frame.channels !== undefined || frame.ref !== undefined, { message: "unsubscribe needs channels or ref" });
export type UnsubscribeFrame = z.infer<typeof unsubscribeFrameSchema>;

export const clientFrameSchema = z.discriminatedUnion("type", [
  ackFrameSchema,
  ackBatchFrameSchema,
  subscribeFrameSchema,
  unsubscribeFrameSchema,
]);
export type ClientFrame = z.infer<typeof clientFrameSchema>;

/** Outcome of parsing one text frame from a client. Never throws. */
export type ClientFrameParse =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: "invalid_frame" | "unknown_type" };

const KNOWN_CLIENT_TYPES = new Set(["ack_message", "ack", "subscribe", "unsubscribe"]);

/**
 * Parses one text frame sent by a browser. Malformed JSON, non-objects and frames of an
 * unknown type come back as a refusal; nothing here throws.
 *
 * @example
 * parseClientFrame('{"type":"ack_message","id":17}') // { ok: true, frame: {type: "ack_message", id: 17} }
 * parseClientFrame("nope")                          // { ok: false, code: "invalid_frame" }
 */
export function parseClientFrame(text: string): ClientFrameParse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: "invalid_frame" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, code: "invalid_frame" };
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string" || !KNOWN_CLIENT_TYPES.has(type)) {
    return { ok: false, code: "unknown_type" };
  }
  const parsed = clientFrameSchema.safeParse(value);
  return parsed.success ? { ok: true, frame: parsed.data } : { ok: false, code: "invalid_frame" };
}

/**
 * Parses one text frame received from the server. Returns null for anything that is not a
 * frame this client understands (the browser ignores those rather than failing).
 */
export function parseServerFrame(text: string): ServerFrame | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = serverFrameSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
