/**
 * Turns send-API arguments into wire frames, validating everything a caller can get wrong.
 * Each failure is an `InvalidNotificationError` with a stable `code`.
 */
import { z } from "zod";
import { InvalidNotificationError } from "../shared/errors.js";
import { checkEventName } from "../shared/events.js";
import { LEVELS, MAX_ORIGIN_LENGTH, type EventFrame, type Level, type MessageFrame, type NotificationFrame, type ProgressFrame, type RedirectFrame, type RefreshFrame } from "../shared/protocol.js";
import type { Payload } from "./send.js";
import { describeURLRefusal, notificationURLRefusal } from "../shared/urls.js";

/** Longest message text accepted, in characters. */
export const MAX_TEXT_LENGTH = 10_000;
/** Longest URL accepted, in characters. */
export const MAX_URL_LENGTH = 2_048;

/** Options of a message send. Unknown keys are refused so a typo cannot pass silently. */
export interface MessageOptions {
  /** `info` (default), `success`, `warning` or `error`. */
  level?: Level;
  /** Opened when the toast is clicked (relative path or http(s) URL). */
  clickURL?: string | null;
  /** Opened when the toast's close button is used. */
  closeURL?: string | null;
  /** Hide the toast's close button. */
  hideCloseOption?: boolean;
}

const messageOptionsSchema = z
  .object({
    level: z.unknown().optional(),
    clickURL: z.unknown().optional(),
    closeURL: z.unknown().optional(),
    hideCloseOption: z.unknown().optional(),
  })
  .strict();

function invalid(code: ConstructorParameters<typeof InvalidNotificationError>[0], message: string): never {
  throw new InvalidNotificationError(code, message);
}

/** Validates a level; `undefined` means `info`. */
export function parseLevel(level: unknown): Level {
  if (level === undefined) return "info";
  if (typeof level === "string" && (LEVELS as readonly string[]).includes(level)) return level as Level;
  return invalid("INVALID_LEVEL", `Unknown level ${JSON.stringify(level)}: expected one of ${LEVELS.join(", ")}.`);
}

/**
 * Validates a URL option; `null`/`undefined` mean none. The URL is resolved as a browser would
 * (see `shared/urls.ts`) and refused with `UNSAFE_URL` when the result could leave the site by
 * surprise: a path starting with `//` after dot segments collapse (`/.//evil.example/`), a
 * protocol-relative or backslash form, a control character, a scheme other than http(s).
 * The URL is sent as given: browsers resolve it again and rebuild the path themselves.
 */
export function parseURL(url: unknown, what: string): string | null {
  if (url === undefined || url === null) return null;
  if (typeof url !== "string") return invalid("INVALID_ARGUMENT", `${what} must be a string, got ${typeof url}.`);
  if (url.length > MAX_URL_LENGTH) return invalid("INVALID_ARGUMENT", `${what} is longer than ${MAX_URL_LENGTH} characters.`);
  const refusal = notificationURLRefusal(url);
  if (refusal !== null) {
    return invalid(
      "UNSAFE_URL",
      `${what} ${JSON.stringify(url.slice(0, 100))} is not allowed: ${describeURLRefusal(refusal)}. Use a path on this site (/reports/42) or an http(s):// URL.`,
    );
  }
  return url;
}

/**
 * Normalises a progress percentage to the wire form: `42` → `"42%"`, `33.5` → `"33.5%"`,
 * `"73%"` → `"73%"`. NaN, negatives, values over 100, booleans and other strings throw.
 *
 * @example
 * normalizePercent(42)     // "42%"
 * normalizePercent("7.5")  // "7.5%"
 */
export function normalizePercent(percent: unknown): string {
  let value: number;
  if (typeof percent === "number") {
    value = percent;
  } else if (typeof percent === "string" && /^\s*\d+(\.\d+)?\s*%?\s*$/.test(percent)) {
    value = Number(percent.replace("%", "").trim());
  } else {
    return invalid("INVALID_PERCENT", `Invalid percent ${JSON.stringify(percent)}: expected a number from 0 to 100, or a string like "42%".`);
  }
  if (!Number.isFinite(value) || value < 0 || value > 100) {
    return invalid("INVALID_PERCENT", `Invalid percent ${JSON.stringify(percent)}: expected a number from 0 to 100.`);
  }
  return `${value}%`;
}

/** Builds a `message` frame (without id; the store adds one). */
export function buildMessageFrame(text: unknown, options: unknown = {}): MessageFrame {
  if (typeof text !== "string") return invalid("INVALID_ARGUMENT", `Message text must be a string, got ${typeof text}.`);
  if (text.trim() === "") return invalid("EMPTY_TEXT", "Message text must not be empty.");
  if (text.length > MAX_TEXT_LENGTH) return invalid("INVALID_ARGUMENT", `Message text is longer than ${MAX_TEXT_LENGTH} characters.`);
  const parsed = messageOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) {
    const keys = parsed.error.issues.flatMap((issue) => ("keys" in issue ? issue.keys : []));
    return invalid(
      "INVALID_ARGUMENT",
      keys.length > 0
        ? `Unknown message option ${keys.map((key) => JSON.stringify(key)).join(", ")}: expected level, clickURL, closeURL, hideCloseOption.`
        : "Message options must be an object.",
    );
  }
  const { level, clickURL, closeURL, hideCloseOption } = parsed.data;
  if (hideCloseOption !== undefined && typeof hideCloseOption !== "boolean") {
    return invalid("INVALID_ARGUMENT", `hideCloseOption must be a boolean, got ${JSON.stringify(hideCloseOption)}.`);
  }
  return {
    type: "message",
    text,
    cssClass: parseLevel(level),
    clickURL: parseURL(clickURL, "clickURL"),
    closeURL: parseURL(closeURL, "closeURL"),
    hideCloseOption: hideCloseOption ?? false,
  };
}

/** Builds a `redirect` frame (without id). */
export function buildRedirectFrame(url: unknown): RedirectFrame {
  if (url === undefined || url === null || url === "") return invalid("INVALID_ARGUMENT", "Redirect URL is required.");
  return { type: "redirect", url: parseURL(url, "Redirect URL") as string };
}

/** Builds a `progress` frame for the audience whose public name is `channel`. */
export function buildProgressFrame(percent: unknown, channel: string): ProgressFrame {
  return { type: "progress", progress: true, percent: normalizePercent(percent), channel };
}

/** Most characters an event's data may take as JSON. */
export const MAX_EVENT_DATA_LENGTH = 32_768;

/**
 * Builds an `event` frame (without id) for the audience whose public name is `channel`. `data`
 * must be JSON (what survives `JSON.stringify`, at most 32,768 characters of it); the frame
 * carries its JSON round trip, so what a browser parses is exactly what was checked here.
 *
 * @example
 * buildEventFrame("comment.created", { id: 7 }, "articles-1") // { type: "event", event: "comment.created", channel: "articles-1", data: { id: 7 } }
 */
export function buildEventFrame(name: unknown, data: unknown, channel: string): EventFrame {
  const event = checkEventName(name);
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch (error) {
    return invalid("INVALID_EVENT", `Data of event ${event} is not JSON: ${error instanceof Error ? error.message : String(error)}.`);
  }
  if (json === undefined) return invalid("INVALID_EVENT", `Data of event ${event} is required (null is allowed).`);
  if (json.length > MAX_EVENT_DATA_LENGTH) return invalid("INVALID_EVENT", `Data of event ${event} is ${json.length} characters as JSON; at most ${MAX_EVENT_DATA_LENGTH} are allowed.`);
  return { type: "event", event, channel, data: JSON.parse(json) as unknown };
}

/** What a refresh origin (a tab id) may look like. */
const ORIGIN_PATTERN = /^[A-Za-z0-9_-]+$/;

/**
 * Builds a `refresh` frame for the audience whose public name is `channel`. `origin`, when given,
 * is the tab id of the page whose action caused it (`getTabId()` in the browser): that tab skips it.
 *
 * @example
 * buildRefreshFrame("articles-1", "k3v9x2")  // { type: "refresh", channel: "articles-1", origin: "k3v9x2" }
 */
export function buildRefreshFrame(channel: string, origin?: unknown): RefreshFrame {
  if (origin === undefined || origin === null || origin === "") return { type: "refresh", channel };
  if (typeof origin !== "string" || origin.length > MAX_ORIGIN_LENGTH || !ORIGIN_PATTERN.test(origin)) {
    return invalid("INVALID_ARGUMENT", `Refresh origin must be a tab id from getTabId() (1 to ${MAX_ORIGIN_LENGTH} letters, digits, "_" or "-"), got ${JSON.stringify(origin)}.`);
  }
  return { type: "refresh", channel, origin };
}

/** What the send API takes, said in its errors. */
const PAYLOAD_KINDS = "Payload must be {message}, {redirect}, {progress}, {event, data} or {refresh: true}.";

/** A frame the send API publishes (what the store keeps, or progress). */
export type SendFrame = NotificationFrame | EventFrame | RefreshFrame;

/**
 * The frame a send of `payload` to the audience whose public name is `group` publishes, with
 * every check of the send API (the one place for them: `notify` and the outbox both call it).
 *
 * @example
 * buildSendFrame({ message: "Done", level: "success" }, "user:42") // { type: "message", text: "Done", cssClass: "success", …, channel: "user:42" }
 * buildSendFrame({ refresh: false } as never, "all")               // throws InvalidNotificationError
 */
export function buildSendFrame(payload: Payload, group: string): SendFrame {
  if (typeof payload !== "object" || payload === null) return invalid("INVALID_ARGUMENT", PAYLOAD_KINDS);
  if ("event" in payload) {
    if (payload.durable !== undefined && typeof payload.durable !== "boolean") return invalid("INVALID_ARGUMENT", "durable must be a boolean.");
    return buildEventFrame(payload.event, payload.data, group);
  }
  if ("refresh" in payload) {
    if (payload.refresh !== true) return invalid("INVALID_ARGUMENT", "refresh must be true.");
    return buildRefreshFrame(group, payload.origin);
  }
  if ("message" in payload) {
    const { message, ...options } = payload;
    return { ...buildMessageFrame(message, options), channel: group };
  }
  if ("redirect" in payload) return { ...buildRedirectFrame(payload.redirect), channel: group };
  if ("progress" in payload) return buildProgressFrame(payload.progress, group);
  return invalid("INVALID_ARGUMENT", PAYLOAD_KINDS);
}
