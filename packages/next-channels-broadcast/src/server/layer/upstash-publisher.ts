/**
 * Publishing from runtimes that cannot hold a TCP connection (edge, serverless functions): the
 * send is validated here, then appended with XADD over Upstash's HTTP API to the outbox stream
 * (`outbox.ts`). The gateways consume it (`outbox-consumer.ts`), store it and deliver it once,
 * also when none of them was running at the moment of the send.
 *
 * Gates (`ENABLE_*`) are applied by the consuming gateway, with its settings: an entry for a
 * disabled audience is consumed as a no-op there.
 *
 * No Node-only imports: this module runs on the edge.
 */
import { Redis } from "@upstash/redis";
import { InvalidSettingError, PublishError } from "../../shared/errors.js";
import type { Target } from "../audience.js";
import type { Payload } from "../send.js";
import { DEFAULT_OUTBOX_STREAM, encodeOutboxEntry, OUTBOX_FIELD } from "./outbox.js";

/** The part of an `@upstash/redis` client the publisher uses. */
export interface UpstashStreamClient {
  xadd(key: string, id: string, entries: Record<string, unknown>, options?: { trim?: { type: "MAXLEN"; threshold: number; comparison: "~" } }): Promise<string>;
}

/** Environment variables read when no client, url or token is given. */
export const UPSTASH_ENV_NAMES = { url: "UPSTASH_REDIS_REST_URL", token: "UPSTASH_REDIS_REST_TOKEN" } as const;

export interface UpstashPublisherOptions {
  /** An `@upstash/redis` client. Default: one made from `url` and `token`. */
  redis?: UpstashStreamClient;
  /** REST URL. Default `UPSTASH_REDIS_REST_URL`. */
  url?: string;
  /** REST token. Default `UPSTASH_REDIS_REST_TOKEN`. */
  token?: string;
  /** Environment to read them from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Stream key; must match the consumers'. Default `"ncb:outbox"`. */
  stream?: string;
  /**
   * Approximate cap on the stream's length (`XADD MAXLEN ~`). Default: none. Consumers delete
   * what they handled, so the stream only grows while no gateway runs; a cap bounds that growth
   * at the price of dropping the oldest entries beyond it.
   */
  maxLength?: number;
}

/** The outcome of a queued send. */
export interface QueuedResult {
  queued: true;
  /** The stream entry id (`<ms>-<seq>`). */
  entryId: string;
  /** The group it will be published to. */
  group: string;
}

export interface UpstashPublisher {
  /**
   * Validates and queues a send. Throws `InvalidNotificationError` (nothing queued) for bad
   * arguments and `PublishError` when Upstash could not be reached or refused the write (then
   * nothing was queued either, and the caller may retry).
   */
  notify(target: Target, payload: Payload): Promise<QueuedResult>;
}

function clientFrom(options: UpstashPublisherOptions): UpstashStreamClient {
  if (options.redis) return options.redis;
  const env = options.env ?? (typeof process === "undefined" ? {} : process.env);
  const url = options.url ?? env[UPSTASH_ENV_NAMES.url];
  const token = options.token ?? env[UPSTASH_ENV_NAMES.token];
  if (!url) throw new InvalidSettingError(UPSTASH_ENV_NAMES.url, "is required to publish through Upstash.");
  if (!token) throw new InvalidSettingError(UPSTASH_ENV_NAMES.token, "is required to publish through Upstash.");
  return new Redis({ url, token }) as unknown as UpstashStreamClient;
}

/**
 * Creates a publisher that hands sends to the gateways through the durable outbox over HTTP.
 *
 * @example
 * // app/api/hook/route.ts
 * export const runtime = "edge";
 * const publisher = createUpstashPublisher(); // UPSTASH_REDIS_REST_URL / _TOKEN
 * export async function POST() {
 *   await publisher.notify({ user: "42" }, { message: "Payment received", level: "success" });
 *   return new Response(null, { status: 204 });
 * }
 */
export function createUpstashPublisher(options: UpstashPublisherOptions = {}): UpstashPublisher {
  const redis = clientFrom(options);
  const stream = options.stream ?? DEFAULT_OUTBOX_STREAM;
  const maxLength = options.maxLength;
  if (maxLength !== undefined && (!Number.isSafeInteger(maxLength) || maxLength < 1)) {
    throw new InvalidSettingError("maxLength", `expected a positive whole number, got ${JSON.stringify(maxLength)}.`);
  }
  return {
    async notify(target, payload) {
      const { json, group } = encodeOutboxEntry(target, payload);
      let entryId: string;
      try {
        entryId = await redis.xadd(
          stream,
          "*",
          { [OUTBOX_FIELD]: json },
          maxLength === undefined ? undefined : { trim: { type: "MAXLEN", threshold: maxLength, comparison: "~" } },
        );
      } catch (error) {
        throw new PublishError(`Could not queue the notification for ${group} in the Upstash outbox ${stream}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      if (typeof entryId !== "string" || entryId === "") {
        throw new PublishError(`The Upstash outbox ${stream} did not confirm the notification for ${group} (answer ${JSON.stringify(entryId)}).`);
      }
      return { queued: true, entryId, group };
    },
  };
}
