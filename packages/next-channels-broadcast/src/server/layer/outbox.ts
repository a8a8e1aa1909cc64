/**
 * The durable outbox: a Redis stream that publishers which cannot hold a TCP connection (edge,
 * serverless; see `upstash-publisher.ts`) append sends to, and that the gateway processes
 * consume through one consumer group (see `outbox-consumer.ts`).
 *
 * Why a stream and not PUBLISH: a PUBLISH while no gateway is subscribed is lost, and with
 * several gateways every one of them would handle it. A stream entry stays until a consumer
 * acknowledges it, and a consumer group hands each entry to ONE consumer.
 *
 * This module has no Node-only imports: it runs on the edge too.
 */
import { resolveTarget, type Target } from "../audience.js";
import { buildSendFrame, type MessageOptions } from "../payload.js";
import type { EventPayload, Payload } from "../send.js";
import { InvalidNotificationError } from "../../shared/errors.js";

/** Default stream key. */
export const DEFAULT_OUTBOX_STREAM = "ncb:outbox";
/** Default consumer group of the gateways. */
export const DEFAULT_OUTBOX_GROUP = "ncb-gateways";
/** The stream field that holds the entry's JSON. */
export const OUTBOX_FIELD = "notification";

/** One outbox entry, as JSON in the stream. */
export interface OutboxEntry {
  v: 1;
  /** The resolved target: `all`, `authenticated`, `anonymous`, `{user: id}`, `{object: channel}` or `{channel}`. */
  target: Target;
  payload: Payload;
  /** Milliseconds since the epoch, when it was queued. */
  at: number;
}

function invalid(message: string): never {
  throw new InvalidNotificationError("INVALID_ARGUMENT", message);
}

/** The target in a JSON-safe form (a row reference becomes its channel name). */
function serializableTarget(target: Target): { target: Target; group: string } {
  const { audience, group } = resolveTarget(target);
  switch (audience) {
    case "all":
    case "authenticated":
    case "anonymous":
      return { target: audience, group };
    case "user":
      return { target: { user: group.slice("user:".length) }, group };
    case "object":
      return { target: { object: group }, group };
    case "channel":
      return { target: { channel: group }, group };
  }
}

/**
 * The payload checked with the send API's own checks (`buildSendFrame`: the same typed errors as
 * `notify`), keeping only known keys.
 */
function checkedPayload(payload: Payload, group: string): Payload {
  const frame = buildSendFrame(payload, group);
  switch (frame.type) {
    case "event": {
      const { durable } = payload as EventPayload;
      return durable === undefined ? { event: frame.event, data: frame.data } : { event: frame.event, data: frame.data, durable };
    }
    case "refresh":
      return frame.origin === undefined ? { refresh: true } : { refresh: true, origin: frame.origin };
    case "message": {
      const { message, level, clickURL, closeURL, hideCloseOption } = payload as { message: string } & MessageOptions;
      const copy: Payload = { message };
      if (level !== undefined) copy.level = level;
      if (clickURL !== undefined) copy.clickURL = clickURL;
      if (closeURL !== undefined) copy.closeURL = closeURL;
      if (hideCloseOption !== undefined) copy.hideCloseOption = hideCloseOption;
      return copy;
    }
    case "redirect":
      return { redirect: (payload as { redirect: string }).redirect };
    case "progress":
      return { progress: (payload as { progress: number | string }).progress };
  }
}

/**
 * Validates a send with the send API's rules (typed `InvalidNotificationError`s, before anything
 * is queued) and encodes it as an outbox entry.
 *
 * @example
 * const { json, group } = encodeOutboxEntry({ user: "42" }, { message: "Done", level: "success" });
 * // json = '{"v":1,"target":{"user":"42"},"payload":{…},"at":…}', group = "user:42"
 */
export function encodeOutboxEntry(target: Target, payload: Payload, now = Date.now()): { json: string; group: string } {
  const resolved = serializableTarget(target);
  const entry: OutboxEntry = { v: 1, target: resolved.target, payload: checkedPayload(payload, resolved.group), at: now };
  return { json: JSON.stringify(entry), group: resolved.group };
}

/**
 * Decodes an outbox entry's JSON. Throws `InvalidNotificationError` when it is not one (the
 * consumer drops such entries rather than retrying them forever).
 *
 * @example
 * const { target, payload } = decodeOutboxEntry(json);
 * await notifyWith(runtime, target, payload);
 */
export function decodeOutboxEntry(json: string): OutboxEntry {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    invalid("Outbox entry is not JSON.");
  }
  if (typeof value !== "object" || value === null) invalid("Outbox entry is not an object.");
  const entry = value as Partial<OutboxEntry>;
  if (entry.v !== 1) invalid(`Outbox entry has unknown version ${JSON.stringify(entry.v)}.`);
  if (entry.target === undefined || typeof entry.payload !== "object" || entry.payload === null) invalid("Outbox entry lacks target or payload.");
  const resolved = serializableTarget(entry.target);
  return { v: 1, target: resolved.target, payload: checkedPayload(entry.payload, resolved.group), at: typeof entry.at === "number" ? entry.at : 0 };
}
