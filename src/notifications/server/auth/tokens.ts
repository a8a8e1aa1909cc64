/**
 * Signed subscription tokens: a server component grants the page's socket some channels by
 * handing it a short-lived token, without a database round trip and without the authorizer.
 *
 * Format: `base64url(JSON payload) "." base64url(HMAC-SHA256)`. The key is derived from the
 * app secret with HKDF and its own purpose label, so a token can never be confused with (or
 * forged from) anything else signed with AUTH_SECRET.
 */
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { isValidChannelName } from "../../shared/channels";
import { InvalidNotificationError } from "../../shared/errors";
import { userIdOf, type UserRef } from "../audience";

/** Default lifetime of a token, in seconds. */
export const DEFAULT_TOKEN_TTL_SECONDS = 300;
/** Longest lifetime a token may be given, in seconds (one day). */
export const MAX_TOKEN_TTL_SECONDS = 86_400;
/** Most channels one token may carry. */
export const MAX_TOKEN_CHANNELS = 32;

const PURPOSE = "next-channels-broadcast/subscription-token/v1";

const payloadSchema = z.object({
  v: z.literal(1),
  /** The user the token is bound to; null = anonymous only. */
  u: z.string().nullable(),
  c: z.array(z.string()).min(1).max(MAX_TOKEN_CHANNELS),
  /** Expiry, seconds since epoch. */
  exp: z.number().int(),
});

function secretOf(secret: string | undefined): string {
  const value = secret ?? process.env.AUTH_SECRET;
  if (!value) throw new InvalidNotificationError("INVALID_ARGUMENT", "AUTH_SECRET is not set: subscription tokens need it.");
  return value;
}

const keys = new Map<string, Buffer>();
function keyFor(secret: string): Buffer {
  let key = keys.get(secret);
  if (!key) {
    key = Buffer.from(hkdfSync("sha256", secret, "", PURPOSE, 32));
    keys.set(secret, key);
  }
  return key;
}

function sign(body: string, secret: string): Buffer {
  return createHmac("sha256", keyFor(secret)).update(body).digest();
}

export interface IssueTokenOptions {
  /** The user the socket must belong to; null or omitted = an anonymous socket. */
  user?: UserRef | null;
  /** Channels granted (valid names; reserved groups are refused). */
  channels: readonly string[];
  /** Lifetime in seconds: default 300, at most 86400. */
  ttl?: number;
  /** Defaults to AUTH_SECRET. */
  secret?: string;
  /** For tests: the current time in ms. */
  now?: number;
}

/**
 * Issues a token that lets the socket of `user` subscribe to `channels` until it expires.
 * Typically called in a server component and handed to `<ChannelSubscription token=…>`.
 *
 * @example
 * const token = issueSubscriptionToken({ user: session?.user ?? null, channels: [`jobs-${job.id}`] });
 */
export function issueSubscriptionToken(options: IssueTokenOptions): string {
  const ttl = options.ttl ?? DEFAULT_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_TOKEN_TTL_SECONDS) {
    throw new InvalidNotificationError("INVALID_ARGUMENT", `Token ttl must be a whole number of seconds from 1 to ${MAX_TOKEN_TTL_SECONDS}, got ${JSON.stringify(options.ttl)}.`);
  }
  const channels = [...new Set(options.channels)];
  if (channels.length === 0 || channels.length > MAX_TOKEN_CHANNELS) {
    throw new InvalidNotificationError("INVALID_ARGUMENT", `A token carries 1 to ${MAX_TOKEN_CHANNELS} channels, got ${channels.length}.`);
  }
  for (const channel of channels) {
    if (!isValidChannelName(channel)) throw new InvalidNotificationError("INVALID_CHANNEL", `Invalid channel name ${JSON.stringify(channel)} in token.`);
  }
  const user = options.user === undefined || options.user === null ? null : userIdOf(options.user);
  const exp = Math.floor((options.now ?? Date.now()) / 1000) + ttl;
  const body = Buffer.from(JSON.stringify({ v: 1, u: user, c: channels, exp })).toString("base64url");
  return `${body}.${sign(body, secretOf(options.secret)).toString("base64url")}`;
}

/** The outcome of checking a token for a socket: its channels, or why it grants nothing. */
export type TokenCheck = { ok: true; channels: string[] } | { ok: false; reason: "expired" | "invalid" };

/**
 * Checks `token` for the socket of `userId` (null = anonymous). A token whose signature is valid
 * and that is bound to this user but has expired answers `expired`, so the page can fetch a fresh
 * one; anything else wrong (malformed, tampered, another secret, another user or anonymous-vs-user)
 * answers `invalid`, with no more detail for the client.
 *
 * @example
 * checkSubscriptionToken(token, socket.user?.id ?? null) // { ok: true, channels: ["jobs-7"] } | { ok: false, reason: "expired" }
 */
export function checkSubscriptionToken(token: unknown, userId: string | null, options: { secret?: string; now?: number } = {}): TokenCheck {
  const invalid: TokenCheck = { ok: false, reason: "invalid" };
  if (typeof token !== "string" || token.length > 8_192) return invalid;
  const dot = token.indexOf(".");
  if (dot <= 0 || dot !== token.lastIndexOf(".")) return invalid;
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), "base64url");
  let secret: string;
  try {
    secret = secretOf(options.secret);
  } catch {
    return invalid;
  }
  const expected = sign(body, secret);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return invalid;
  let payload: z.infer<typeof payloadSchema>;
  try {
    const parsed = payloadSchema.safeParse(JSON.parse(Buffer.from(body, "base64url").toString("utf8")));
    if (!parsed.success) return invalid;
    payload = parsed.data;
  } catch {
    return invalid;
  }
  // Another user's token is invalid whatever its age: its expiry is nobody else's business.
  if (payload.u !== userId) return invalid;
  if (payload.exp * 1000 <= (options.now ?? Date.now())) return { ok: false, reason: "expired" };
  const channels = payload.c.filter((channel) => isValidChannelName(channel));
  return channels.length > 0 ? { ok: true, channels } : invalid;
}

/**
 * Checks `token` for the socket of `userId` (null = anonymous). Returns the granted channels,
 * or null when the token is malformed, tampered, expired, or bound to someone else
 * (`checkSubscriptionToken` says which).
 *
 * @example
 * verifySubscriptionToken(token, socket.user?.id ?? null) // ["jobs-7"] | null
 */
export function verifySubscriptionToken(token: unknown, userId: string | null, options: { secret?: string; now?: number } = {}): string[] | null {
  const checked = checkSubscriptionToken(token, userId, options);
  return checked.ok ? checked.channels : null;
}
