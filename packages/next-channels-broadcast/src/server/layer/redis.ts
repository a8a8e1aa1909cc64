/**
 * Redis channel layer: Redis pub/sub over TCP (ioredis), for several server processes.
 *
 * Two connections, because a connection in subscriber mode cannot PUBLISH: one publishes, one
 * holds the subscriptions. Each group is one Redis channel `<prefix><group>`; the layer holds a
 * single Redis subscription per group however many local listeners share it (ref-counted), and
 * UNSUBSCRIBEs when the last one leaves, so a process only receives what it can deliver.
 *
 * Failure policy (why the ioredis options below differ from its defaults):
 * - ioredis queues commands while disconnected and replays them on reconnect. For sends that
 *   would make a notification "succeed" into a queue that may never drain, or arrive minutes
 *   late after its caller reported a failure. Here the offline queue is off and in-flight
 *   commands are neither retried nor resent: `publish` during an outage rejects at once with
 *   `PublishError`, a publish without an answer rejects after `commandTimeoutMs`.
 * - Subscriptions are restored by the layer itself on every reconnect (ioredis'
 *   `autoResubscribe` is off): the layer knows which groups it still wants, so a group whose
 *   last listener left during the outage is not resurrected, and "restored" is only logged
 *   once Redis confirmed every SUBSCRIBE.
 * - Outages are logged once when lost and once when restored, not once per retry.
 */
import type { RedisOptions } from "ioredis";
import { PublishError } from "../../shared/errors.js";
import { DEFAULT_REDIS_PREFIX, parseRedisUrl } from "./redis-url.js";
import { RedisConnection, type ConnectionRole } from "./redis-connection.js";
import type { ChannelLayer, LayerListener, LayerStatusListener } from "./types.js";
import { getLogger } from "../logger.js";

export { DEFAULT_REDIS_PREFIX, parseRedisUrl } from "./redis-url.js";

const RESUBSCRIBE_BATCH = 1_000;

export interface RedisLayerOptions {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS). */
  url: string;
  /** Prepended to each group to form the Redis channel name. Default `"ncb:"`. */
  prefix?: string;
  /** How long the first publish/subscribe waits for the initial connection. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** A PUBLISH or SUBSCRIBE without an answer within this time fails. Default 3000 ms. */
  commandTimeoutMs?: number;
  /** Interval of the liveness PING on both connections; 0 turns it off. Default 10000 ms. */
  healthCheckMs?: number;
  /** Upper bound of the reconnect back-off. Default 1000 ms. */
  maxReconnectDelayMs?: number;
  /** Where outages are reported. Default `console`. */
  logger?: Pick<Console, "info" | "warn" | "error">;
  /**
   * Extra ioredis options (TLS certificates, family, …). The failure-policy options
   * (`enableOfflineQueue`, `maxRetriesPerRequest`, `autoResendUnfulfilledCommands`,
   * `autoResubscribe`, `commandTimeout`) are fixed by the layer.
   */
  redisOptions?: RedisOptions;
}

export interface RedisLayer extends ChannelLayer {
  readonly kind: "redis";
  /** The channel prefix in use. */
  readonly prefix: string;
  /**
   * Resolves once both connections are up and every subscription is active; rejects after
   * `timeoutMs` (default: `connectTimeoutMs`). For start-up checks and readiness probes.
   */
  ready(timeoutMs?: number): Promise<void>;
  /** True while both connections are up and every subscription is active. */
  isConnected(): boolean;
}

interface Registration {
  listener: LayerListener;
}

interface GroupEntry {
  registrations: Set<Registration>;
  /** Settles when Redis confirmed (or refused) the SUBSCRIBE. */
  ready: Promise<void>;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Creates a channel layer over Redis pub/sub. Connects at once in the background; the first
 * publish or subscribe waits for that connection (bounded by `connectTimeoutMs`).
 *
 * @example
 * const layer = createRedisLayer({ url: process.env.REDIS_URL! });
 * const stop = await layer.subscribe("all", (frame) => console.log(frame));
 * await layer.publish("all", JSON.stringify({ type: "message", text: "hi" })); // every process
 * stop();
 * await layer.close();
 */
export function createRedisLayer(options: RedisLayerOptions): RedisLayer {
  const { where } = parseRedisUrl(options.url, "url");
  const prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const commandTimeoutMs = options.commandTimeoutMs ?? 3_000;
  const maxReconnectDelayMs = options.maxReconnectDelayMs ?? 1_000;
  const logger = options.logger ?? getLogger();

  const entries = new Map<string, GroupEntry>();
  let closed = false;
  let closing: Promise<void> | undefined;
  /** Subscriptions are active on the current subscriber connection. */
  let subscriptionsRestored = true;
  let subscriberWasUp = false;
  let everHealthy = false;
  let outageSince: number | undefined;
  const healthWaiters = new Set<() => void>();
  const statusListeners = new Set<LayerStatusListener>();
  /** A "down" was reported and its "up" is still owed. */
  let deliveryDown = false;

  function reportStatus(status: "down" | "up"): void {
    if ((status === "down") === deliveryDown) return;
    deliveryDown = status === "down";
    for (const listener of [...statusListeners]) {
      try {
        listener(status);
      } catch (error) {
        logger.error("[notifications] redis layer status listener threw", error);
      }
    }
  }

  const channelOf = (group: string) => prefix + group;

  function redisOptions(role: ConnectionRole): RedisOptions {
    return {
      connectTimeout: connectTimeoutMs,
      connectionName: `ncb-${role}`,
      // Linear back-off with a little jitter, so many processes do not reconnect in lockstep.
      retryStrategy: (attempt: number) => Math.min(100 * attempt, maxReconnectDelayMs) + Math.floor(Math.random() * 100),
      ...options.redisOptions,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      commandTimeout: commandTimeoutMs,
      lazyConnect: false,
    };
  }

  function isConnected(): boolean {
    return !closed && publisher.ready && subscriber.ready && subscriptionsRestored;
  }

  function checkHealthy(): void {
    if (!isConnected()) return;
    if (outageSince !== undefined) {
      const downFor = Date.now() - outageSince;
      const restored = everHealthy ? `restored after ${downFor} ms (${entries.size} subscriptions restored)` : `established after ${downFor} ms`;
      logger.info(`[notifications] redis layer: connection to ${where} ${restored}.`);
    }
    outageSince = undefined;
    everHealthy = true;
    for (const wake of [...healthWaiters]) wake();
    reportStatus("up");
  }

  function restoreSubscriptions(): void {
    const channels = [...entries.keys()].map(channelOf);
    if (channels.length === 0) {
      subscriptionsRestored = true;
      return checkHealthy();
    }
    // In batches: a process with tens of thousands of user groups should not build one giant command.
    const batches: string[][] = [];
    for (let start = 0; start < channels.length; start += RESUBSCRIBE_BATCH) batches.push(channels.slice(start, start + RESUBSCRIBE_BATCH));
    Promise.all(batches.map((batch) => subscriber.client.subscribe(...batch))).then(
      () => {
        subscriptionsRestored = true;
        checkHealthy();
      },
      (error: unknown) => {
        // Dropped again: its next 'ready' retries. Still up (a timeout): reconnect to retry
        // cleanly rather than stay half-subscribed.
        if (!subscriber.ready) return;
        logger.error(`[notifications] redis layer: could not restore ${channels.length} subscriptions on ${where} (${messageOf(error)}); reconnecting to retry.`);
        subscriber.client.stream.destroy();
      },
    );
  }

  const hooks = {
    up(connection: RedisConnection) {
      if (connection.role === "subscriber") {
        // The first time there is nothing to restore: SUBSCRIBEs waiting for this connection go out now.
        if (subscriberWasUp) restoreSubscriptions();
        else subscriptionsRestored = true;
        subscriberWasUp = true;
      }
      checkHealthy();
    },
    down(connection: RedisConnection) {
      if (closed) return;
      if (connection.role === "subscriber") {
        subscriptionsRestored = false;
        // Publishes made while the subscriber is away are never delivered here: the gateway must
        // catch its sockets up once it is back.
        reportStatus("down");
      }
      if (outageSince !== undefined) return; // already reported: one line per outage
      outageSince = Date.now();
      const reason = `${connection.role}: ${connection.lastError ?? "connection closed"}`;
      if (everHealthy) {
        logger.warn(`[notifications] redis layer: lost connection to ${where} (${reason}); sends fail until it is back. Reconnecting.`);
      } else {
        logger.warn(`[notifications] redis layer: cannot reach ${where} (${reason}); sends fail until it is reachable. Retrying.`);
      }
    },
  };

  const publisher = new RedisConnection("publisher", options.url, redisOptions("publisher"), hooks);
  const subscriber = new RedisConnection("subscriber", options.url, redisOptions("subscriber"), hooks);
  publisher.startHealthCheck(options.healthCheckMs ?? 10_000);
  subscriber.startHealthCheck(options.healthCheckMs ?? 10_000);

  subscriber.client.on("message", (channel: string, message: string) => {
    if (!channel.startsWith(prefix)) return;
    const entry = entries.get(channel.slice(prefix.length));
    if (!entry) return;
    // Copy first: a listener may unsubscribe (itself or others) while we iterate.
    for (const { listener } of [...entry.registrations]) {
      try {
        listener(message);
      } catch (error) {
        logger.error(`[notifications] redis layer listener for ${channel.slice(prefix.length)} threw`, error);
      }
    }
  });

  function openSubscription(group: string): GroupEntry {
    const entry: GroupEntry = {
      registrations: new Set(),
      ready: (async () => {
        await subscriber.whenUsable(connectTimeoutMs);
        await subscriber.client.subscribe(channelOf(group));
      })(),
    };
    entries.set(group, entry);
    entry.ready.catch(() => {
      if (entries.get(group) !== entry) return;
      entries.delete(group);
      // A SUBSCRIBE that timed out may still take effect later: drop it rather than leave a
      // subscription nobody listens to.
      if (subscriber.ready) subscriber.client.unsubscribe(channelOf(group)).catch(() => undefined);
    });
    return entry;
  }

  return {
    kind: "redis",
    prefix,

    async publish(group, frame) {
      if (closed) throw new PublishError(`Cannot publish to ${group}: the redis layer is closed.`);
      try {
        await publisher.whenUsable(connectTimeoutMs);
        await publisher.client.publish(channelOf(group), frame);
      } catch (error) {
        throw new PublishError(`Could not publish to ${group} through Redis at ${where}: ${messageOf(error)}.`, { cause: error });
      }
    },

    async subscribe(group, listener) {
      if (closed) throw new Error(`Cannot subscribe to ${group}: the redis layer is closed.`);
      const entry = entries.get(group) ?? openSubscription(group);
      const registration: Registration = { listener };
      entry.registrations.add(registration);
      try {
        await entry.ready;
      } catch (error) {
        entry.registrations.delete(registration);
        throw new Error(`Could not subscribe to ${group} through Redis at ${where}: ${messageOf(error)}.`, { cause: error });
      }
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        entry.registrations.delete(registration);
        if (entry.registrations.size > 0 || entries.get(group) !== entry) return;
        entries.delete(group);
        // Sent at once on the same connection, so a SUBSCRIBE for the same group that follows
        // is processed after it and wins. When down, the reconnect simply does not restore it.
        if (subscriber.ready) subscriber.client.unsubscribe(channelOf(group)).catch(() => undefined);
      };
    },

    ready(timeoutMs = connectTimeoutMs) {
      if (closed) return Promise.reject(new Error("the redis layer is closed"));
      if (isConnected()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const wake = () => {
          clearTimeout(timer);
          healthWaiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(() => {
          healthWaiters.delete(wake);
          reject(new Error(`Redis at ${where} not reachable within ${timeoutMs} ms (${publisher.lastError ?? subscriber.lastError ?? "no answer"}).`));
        }, timeoutMs);
        healthWaiters.add(wake);
      });
    },

    isConnected,

    onStatusChange(listener) {
      statusListeners.add(listener);
      return () => {
        statusListeners.delete(listener);
      };
    },

    close() {
      closing ??= (async () => {
        closed = true;
        statusListeners.clear();
        entries.clear();
        await Promise.all([publisher.close(), subscriber.close()]);
      })();
      return closing;
    },
  };
}
