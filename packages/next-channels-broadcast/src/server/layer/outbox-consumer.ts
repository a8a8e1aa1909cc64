/**
 * The gateways' side of the durable outbox (`outbox.ts`): each gateway process runs one consumer
 * of the stream's consumer group over TCP (ioredis). Redis hands every entry to ONE consumer,
 * which sends it with `notifyWith` (store, then publish through the channel layer to every
 * process), then acknowledges and deletes it.
 *
 * - Entries queued while no gateway ran are read when the first one starts (the group is created
 *   at the start of the stream).
 * - An entry left pending by a consumer that died (or failed to publish) is claimed by a live
 *   consumer with XAUTOCLAIM once it has been idle for `claimIdleMs`.
 * - An entry that can never be sent (malformed, invalid target) is logged and dropped, not
 *   retried forever. A disabled audience is a no-op, acknowledged.
 * - A `PublishError` after the store saved the row is acknowledged: the row is replayed on the
 *   next connect. Without a store it stays pending and is retried after `claimIdleMs`.
 * - Every entry is sent with the idempotency key `outbox:<stream>:<entry id>` (see
 *   `outboxIdempotencyKey`). A consumer that dies between storing/publishing and acknowledging
 *   leaves the entry to another, which then finds the stored row: nothing is stored twice, and
 *   the frame goes out again under the SAME id, which browsers drop as already seen.
 *
 * With a store, each message or redirect is therefore stored and shown once even across a crash.
 * Without a store there is nothing to remember the first attempt by: in that window the entry is
 * published twice (at-least-once), under no id. (Progress is a latest value, not a stored row: a
 * repeat carries the same percent.)
 */
import { hostname } from "node:os";
import { createHash, randomBytes } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";
import { InvalidNotificationError, NotificationError, PublishError } from "../../shared/errors.js";
import { getRuntime, type NotificationsRuntime } from "../runtime.js";
import { MAX_IDEMPOTENCY_KEY_LENGTH, notifyWith } from "../send.js";
import { decodeOutboxEntry, DEFAULT_OUTBOX_GROUP, DEFAULT_OUTBOX_STREAM, OUTBOX_FIELD } from "./outbox.js";
import { parseRedisUrl } from "./redis.js";
import { getLogger } from "../logger.js";

export interface OutboxConsumerOptions {
  /** `redis://…` of the Redis behind the Upstash endpoint (the gateways reach it over TCP). */
  redisUrl: string;
  /** The runtime to send with. Default: the process's runtime (`getRuntime()`), read per entry. */
  runtime?: NotificationsRuntime | (() => NotificationsRuntime);
  /** Stream key; must match the publishers'. Default `"ncb:outbox"`. */
  stream?: string;
  /** Consumer group shared by all gateways. Default `"ncb-gateways"`. */
  group?: string;
  /** This consumer's name, unique per process. Default `<host>-<pid>-<random>`. */
  consumer?: string;
  /** An entry pending this long (its consumer died or failed) is claimed by another. Default 30000 ms. */
  claimIdleMs?: number;
  /** How often pending entries are checked for claiming. Default: `claimIdleMs / 2` (at least 100 ms). */
  claimIntervalMs?: number;
  /** How long one XREADGROUP waits for new entries. Default 2000 ms. */
  blockMs?: number;
  /** Entries read per round. Default 100. */
  batchSize?: number;
  /** Where problems are reported. Default: the process logger (`getLogger()`). */
  logger?: Pick<Console, "info" | "warn" | "error">;
  /**
   * Told, for each entry taken, how long it waited in the stream (now minus the time in its
   * stream id, in seconds): the metrics' outbox lag.
   */
  onLag?: (seconds: number) => void;
  /** Extra ioredis options (TLS…). */
  redisOptions?: RedisOptions;
}

export interface OutboxConsumer {
  /** This consumer's name in the group. */
  readonly consumer: string;
  /** Resolves once the consumer group exists and reading has started. */
  ready(): Promise<void>;
  /** Entries handled so far (sent, no-op or dropped), for tests and metrics. */
  handled(): number;
  /** Stops reading, finishes the entry in hand, closes the connection. Idempotent. */
  close(): Promise<void>;
}

type StreamEntry = [id: string, fields: string[] | null];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The idempotency key an outbox entry is stored under: `outbox:<stream>:<entry id>`, the same
 * whichever consumer handles it (a stream name too long to fit is replaced by its hash).
 *
 * @example
 * outboxIdempotencyKey("ncb:outbox", "1718000000000-0") // "outbox:ncb:outbox:1718000000000-0"
 */
export function outboxIdempotencyKey(stream: string, entryId: string): string {
  const key = `outbox:${stream}:${entryId}`;
  if (key.length <= MAX_IDEMPOTENCY_KEY_LENGTH) return key;
  return `outbox:${createHash("sha256").update(stream, "utf8").digest("hex").slice(0, 32)}:${entryId}`;
}

/**
 * Starts consuming the outbox in this gateway process. Returns at once; reading goes on in the
 * background, reconnecting after Redis outages and re-creating the group when Redis lost it.
 *
 * @example
 * const outbox = startOutboxConsumer({ redisUrl: process.env.REDIS_URL!, runtime });
 * await outbox.ready();
 * // …on shutdown, before closing the layer:
 * await outbox.close();
 */
export function startOutboxConsumer(options: OutboxConsumerOptions): OutboxConsumer {
  const { where } = parseRedisUrl(options.redisUrl, "redisUrl");
  const stream = options.stream ?? DEFAULT_OUTBOX_STREAM;
  const group = options.group ?? DEFAULT_OUTBOX_GROUP;
  const consumer = options.consumer ?? `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const claimIdleMs = options.claimIdleMs ?? 30_000;
  const claimIntervalMs = Math.max(100, options.claimIntervalMs ?? Math.floor(claimIdleMs / 2));
  const blockMs = options.blockMs ?? 2_000;
  const batchSize = options.batchSize ?? 100;
  const logger = options.logger ?? getLogger();
  const runtimeOf = typeof options.runtime === "function" ? options.runtime : options.runtime ? () => options.runtime as NotificationsRuntime : getRuntime;

  const redis = new Redis(options.redisUrl, {
    ...options.redisOptions,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 100, 1_000),
  });
  redis.on("error", () => undefined); // reported once per outage by the loop below

  let stopped = false;
  let blocking = false;
  let groupReady = false;
  let handledCount = 0;
  let outage: string | undefined;
  let readyResolve!: () => void;
  const readyPromise = new Promise<void>((resolve) => (readyResolve = resolve));

  async function ensureGroup(): Promise<void> {
    try {
      // From the start of the stream: entries queued before any gateway ever ran are delivered.
      await redis.call("XGROUP", "CREATE", stream, group, "0", "MKSTREAM");
    } catch (error) {
      if (!messageOf(error).includes("BUSYGROUP")) throw error;
    }
    groupReady = true;
  }

  async function acknowledge(id: string): Promise<void> {
    await redis.multi().xack(stream, group, id).xdel(stream, id).exec();
  }

  async function handle([id, fields]: StreamEntry): Promise<void> {
    // Stream ids start with the millisecond the entry was added.
    const addedAt = Number(id.split("-", 1)[0]);
    if (options.onLag && Number.isFinite(addedAt)) options.onLag(Math.max(0, Date.now() - addedAt) / 1_000);
    // A null body: the entry was deleted after it was delivered (Redis < 7 XAUTOCLAIM); drop the id.
    const index = fields ? fields.indexOf(OUTBOX_FIELD) : -1;
    const json = fields && index !== -1 && index % 2 === 0 ? fields[index + 1] : undefined;
    if (json === undefined) {
      logger.warn(`[notifications] outbox: dropping entry ${id} of ${stream}: no ${OUTBOX_FIELD} field.`);
      await acknowledge(id);
      handledCount += 1;
      return;
    }
    try {
      const entry = decodeOutboxEntry(json);
      const runtime = runtimeOf();
      try {
        // Keyed by the entry: a claimed entry another consumer already stored maps to that row and id.
        const result = await notifyWith(runtime, entry.target, entry.payload, { idempotencyKey: outboxIdempotencyKey(stream, id) });
        if (!result.sent) logger.info(`[notifications] outbox: No-op for ${result.group}: ${result.setting} is off (entry ${id}).`);
      } catch (error) {
        // Stored but not published: the store replays it on the next connect.
        if (!(error instanceof PublishError && runtime.store)) throw error;
        logger.warn(`[notifications] outbox: entry ${id}: ${error.message}`);
      }
    } catch (error) {
      if (!(error instanceof InvalidNotificationError)) {
        // Transient (layer or store down): stays pending, claimed again after claimIdleMs.
        logger.warn(`[notifications] outbox: entry ${id} not sent, will retry: ${messageOf(error)}`);
        if (!(error instanceof NotificationError)) logger.error(error);
        return;
      }
      logger.warn(`[notifications] outbox: dropping invalid entry ${id}: ${error.message}`);
    }
    await acknowledge(id);
    handledCount += 1;
  }

  async function claimStale(): Promise<void> {
    let cursor = "0-0";
    do {
      const reply = (await redis.call("XAUTOCLAIM", stream, group, consumer, String(claimIdleMs), cursor, "COUNT", String(batchSize))) as [string, StreamEntry[], string[]?];
      cursor = reply[0];
      for (const entry of reply[1]) {
        if (stopped) return;
        await handle(entry);
      }
    } while (cursor !== "0-0" && !stopped);
  }

  async function run(): Promise<void> {
    let nextClaim = 0;
    while (!stopped) {
      try {
        if (!groupReady) await ensureGroup();
        readyResolve();
        if (Date.now() >= nextClaim) {
          await claimStale();
          nextClaim = Date.now() + claimIntervalMs;
        }
        if (stopped) break;
        blocking = true;
        const wait = Math.max(1, Math.min(blockMs, nextClaim - Date.now()));
        const reply = (await redis.call("XREADGROUP", "GROUP", group, consumer, "COUNT", String(batchSize), "BLOCK", String(wait), "STREAMS", stream, ">")) as
          | [string, StreamEntry[]][]
          | null;
        blocking = false;
        if (outage !== undefined) {
          logger.info(`[notifications] outbox: reading ${stream} on ${where} again.`);
          outage = undefined;
        }
        for (const [, entries] of reply ?? []) {
          for (const entry of entries) await handle(entry);
        }
      } catch (error) {
        blocking = false;
        if (stopped) break;
        const message = messageOf(error);
        // Redis restarted without persistence (or the group was deleted): create it again.
        if (message.includes("NOGROUP")) groupReady = false;
        if (outage === undefined) {
          outage = message;
          logger.warn(`[notifications] outbox: cannot read ${stream} on ${where}: ${message}. Retrying.`);
        }
        await sleep(250);
      }
    }
  }

  const loop = run();
  let closing: Promise<void> | undefined;
  return {
    consumer,
    ready: () => readyPromise,
    handled: () => handledCount,
    close() {
      closing ??= (async () => {
        stopped = true;
        // Interrupts a blocking XREADGROUP; an entry being handled is finished first.
        if (blocking) redis.disconnect();
        await loop;
        redis.disconnect();
      })();
      return closing;
    },
  };
}
