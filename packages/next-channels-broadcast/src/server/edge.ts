/**
 * Edge / serverless entry point of the kit: publish over HTTP (Upstash REST) from runtimes
 * that cannot hold a TCP connection. Imports nothing Node-only.
 *
 * Sends are validated here with the same rules as the send API (typed errors at the caller),
 * then queued on a Redis stream; a gateway process (REDIS_URL set) takes each entry exactly
 * once, stores it and delivers it — so nothing is lost while no gateway is running.
 *
 * @example
 * import { createUpstashPublisher } from "./edge.js";
 * const publisher = createUpstashPublisher(); // UPSTASH_REDIS_REST_URL / _TOKEN
 * await publisher.notify({ user: userId }, { message: "Report ready", level: "success" });
 */
export {
  createUpstashPublisher,
  UPSTASH_ENV_NAMES,
  type UpstashPublisher,
  type UpstashPublisherOptions,
  type UpstashStreamClient,
  type QueuedResult,
} from "./layer/upstash-publisher.js";
