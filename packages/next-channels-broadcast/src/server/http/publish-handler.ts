/**
 * The HTTP publish endpoint: other languages, tools and the `send-notification` CLI send
 * notifications with one authenticated JSON POST.
 *
 *   POST /api/notifications/publish
 *   Authorization: Bearer $NOTIFICATIONS_API_KEY
 *   Content-Type: application/json
 *   Idempotency-Key: import-7-finished        (optional, 1–200 characters: a retry is not a second notification)
 *   {"audience":"user","username":"alice","text":"Your import finished","level":"success"}
 *
 * With `Idempotency-Key` and a store, a repeated key stores nothing new and answers the original
 * id (the frame is published again under it, which browsers drop as already seen); keys last as
 * long as their rows. Without a store the header is checked but cannot be honoured.
 *
 * Answers (always JSON, never cached):
 *   200 {sent:true, group[, id]}                 sent
 *   200 {sent:false, reason, setting, group}     the audience is switched off (a no-op, not an error)
 *   400 {error, message, field?}                 malformed body, invalid value, unknown user/table/row,
 *                                                malformed Idempotency-Key (error "invalid_idempotency_key")
 *   401 {error:"unauthorized"}                   missing or wrong key (WWW-Authenticate: Bearer)
 *   404 {error:"not_found"}                      the endpoint is off (NOTIFICATIONS_API_KEY unset)
 *   405 / 413 / 415                              not POST / body over 16 KB / not application/json
 *   429 {error:"rate_limited"}                   over NOTIFICATIONS_API_RATE_PER_SECOND (Retry-After)
 *   502 {error:"publish_failed"}                 the channel layer could not carry it (e.g. Redis down)
 *   503 {error:"store_failed"}                   the notification store could not save it
 *   409 {error:"idempotency_conflict",id}        the Idempotency-Key already names a different send
 */
import { bearerMatches, tokenDigest } from "./bearer.js";
import { TokenBucket } from "../rate-limit.js";
import { IdempotencyConflictError, InvalidNotificationError, InvalidSettingError, PublishError, StoreError } from "../../shared/errors.js";
import { getRuntime, type NotificationsRuntime } from "../runtime.js";
import { checkIdempotencyKey, MAX_IDEMPOTENCY_KEY_LENGTH, notifyWith } from "../send.js";
import { parseIntegerSetting } from "../settings.js";
import { parsePublishRequest, PublishRequestError, resolvePublishRequest, type TargetResolvers } from "./publish-request.js";
import { getLogger } from "../logger.js";

/** Environment variables read by `createPublishHandler`. */
export const PUBLISH_ENV_NAMES = {
  /** The API key; unset or empty = the endpoint answers 404. At least 16 characters. */
  apiKey: "NOTIFICATIONS_API_KEY",
  /** Requests per second (sustained; bursts up to 2×). Default 20. */
  ratePerSecond: "NOTIFICATIONS_API_RATE_PER_SECOND",
} as const;

export const DEFAULT_PUBLISH_RATE_PER_SECOND = 20;
/** Largest request body accepted, in bytes. */
export const MAX_PUBLISH_BODY_BYTES = 16 * 1024;
/** The request header carrying an idempotency key. */
export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";
/** Shortest API key accepted: a short key is guessable. */
export const MIN_API_KEY_LENGTH = 16;

export interface PublishHandlerOptions extends TargetResolvers {
  /** Environment to read `NOTIFICATIONS_API_KEY` and `NOTIFICATIONS_API_RATE_PER_SECOND` from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The API key, instead of the environment's. `null` or `""` = endpoint off. */
  apiKey?: string | null;
  /** Requests per second, instead of the environment's. Bursts up to `2 ×` this. */
  ratePerSecond?: number;
  /** The runtime to send with. Default: the process's runtime (`getRuntime()`), read per request. */
  runtime?: () => NotificationsRuntime;
  /** Where unexpected failures are logged. Default `console`. */
  logger?: Pick<Console, "error">;
  /** The clock of the rate limiter, in milliseconds (tests). Default `performance.now`. */
  now?: () => number;
}

/** A route handler: `(request) => response`. */
export type PublishHandler = (request: Request) => Promise<Response>;


function readApiKey(options: PublishHandlerOptions, env: Readonly<Record<string, string | undefined>>): string | null {
  const raw = options.apiKey !== undefined ? options.apiKey : env[PUBLISH_ENV_NAMES.apiKey];
  const key = raw?.trim() ?? "";
  if (key === "") return null;
  if (key.length < MIN_API_KEY_LENGTH) {
    throw new InvalidSettingError(PUBLISH_ENV_NAMES.apiKey, `must be at least ${MIN_API_KEY_LENGTH} characters long (e.g. openssl rand -hex 32).`);
  }
  return key;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store", ...headers } });
}

function isJsonContentType(value: string | null): boolean {
  if (!value) return false;
  const type = value.split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

class BodyTooLarge extends Error {}

async function readBody(request: Request, limit: number): Promise<string> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw new BodyTooLarge();
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Creates the HTTP publish endpoint as a route handler. Settings are read once, here: a bad
 * `NOTIFICATIONS_API_KEY` (shorter than 16 characters) or `NOTIFICATIONS_API_RATE_PER_SECOND`
 * throws `InvalidSettingError` naming it. Usernames and `<table>:<pk>` references are looked up
 * through `resolveUser` / `resolveObject`, since the kit never imports the app's database.
 *
 * @example
 * // src/app/api/notifications/publish/route.ts
 * import { createPublishHandler } from "./index.js";
 * export const POST = createPublishHandler({
 *   resolveUser: async (username) => (await findUserByUsername(username))?.id ?? null,
 * });
 *
 * // elsewhere:
 * // curl -X POST http://localhost:3000/api/notifications/publish \
 * //   -H "Authorization: Bearer $NOTIFICATIONS_API_KEY" -H "Content-Type: application/json" \
 * //   -d '{"audience":"all","text":"Deploy in 5 minutes","level":"warning"}'
 */
export function createPublishHandler(options: PublishHandlerOptions = {}): PublishHandler {
  const env = options.env ?? process.env;
  const key = readApiKey(options, env);
  const expected = key === null ? null : tokenDigest(key);
  const rawRate = env[PUBLISH_ENV_NAMES.ratePerSecond];
  const rate =
    options.ratePerSecond !== undefined
      ? parseIntegerSetting("ratePerSecond", String(options.ratePerSecond), 1, 100_000)
      : rawRate !== undefined && rawRate.trim() !== ""
        ? parseIntegerSetting(PUBLISH_ENV_NAMES.ratePerSecond, rawRate, 1, 100_000)
        : DEFAULT_PUBLISH_RATE_PER_SECOND;
  const bucket = new TokenBucket(rate, rate * 2, options.now ?? (() => performance.now()));
  const runtimeOf = options.runtime ?? getRuntime;
  const logger = options.logger ?? getLogger();
  const resolvers: TargetResolvers = { resolveUser: options.resolveUser, resolveObject: options.resolveObject };

  return async function publishHandler(request: Request): Promise<Response> {
    if (expected === null) return json(404, { error: "not_found", message: "The publish endpoint is off (NOTIFICATIONS_API_KEY is not set)." });
    if (request.method !== "POST") return json(405, { error: "method_not_allowed", message: "Use POST." }, { allow: "POST" });

    if (!bearerMatches(request.headers.get("authorization"), expected)) {
      return json(401, { error: "unauthorized", message: "Missing or wrong API key: send Authorization: Bearer <NOTIFICATIONS_API_KEY>." }, { "www-authenticate": 'Bearer realm="notifications"' });
    }
    if (!bucket.take()) {
      const wait = bucket.secondsUntilNext();
      return json(429, { error: "rate_limited", message: `Over ${rate} requests per second; retry in ${wait} s.` }, { "retry-after": String(wait) });
    }
    const rawKey = request.headers.get(IDEMPOTENCY_KEY_HEADER);
    let idempotencyKey: string | undefined;
    try {
      idempotencyKey = checkIdempotencyKey(rawKey ?? undefined);
    } catch (error) {
      if (!(error instanceof InvalidNotificationError)) throw error;
      const why = rawKey === "" ? "is empty" : `is ${rawKey?.length} characters long`;
      return json(400, {
        error: "invalid_idempotency_key",
        message: `The Idempotency-Key header ${why}: send 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters, or leave the header out.`,
        field: "Idempotency-Key",
      });
    }
    if (!isJsonContentType(request.headers.get("content-type"))) {
      return json(415, { error: "unsupported_media_type", message: "Send the body as JSON with Content-Type: application/json." });
    }

    let body: unknown;
    try {
      const text = await readBody(request, MAX_PUBLISH_BODY_BYTES);
      body = JSON.parse(text);
    } catch (error) {
      if (error instanceof BodyTooLarge) return json(413, { error: "payload_too_large", message: `The body is larger than ${MAX_PUBLISH_BODY_BYTES} bytes.` });
      return json(400, { error: "invalid_json", message: `The body is not valid JSON: ${(error as Error).message}` });
    }

    try {
      const resolved = await resolvePublishRequest(parsePublishRequest(body), resolvers);
      const result = await notifyWith(runtimeOf(), resolved.target, resolved.payload, idempotencyKey === undefined ? {} : { idempotencyKey });
      return json(200, result);
    } catch (error) {
      if (error instanceof PublishRequestError) {
        return json(400, { error: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) });
      }
      if (error instanceof InvalidNotificationError) {
        return json(400, { error: "invalid_notification", code: error.code, message: error.message });
      }
      if (error instanceof IdempotencyConflictError) return json(409, { error: "idempotency_conflict", message: error.message, id: error.existingId });
      if (error instanceof PublishError) return json(502, { error: "publish_failed", message: error.message });
      if (error instanceof StoreError) return json(503, { error: "store_failed", message: error.message }, { "retry-after": "5" });
      logger.error("[notifications] publish endpoint failed", error);
      return json(500, { error: "internal_error", message: "The notification could not be sent." });
    }
  };
}
