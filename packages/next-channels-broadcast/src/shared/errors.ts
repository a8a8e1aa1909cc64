/**
 * Typed errors thrown by the kit. Every error has a stable `code` so callers can branch
 * without matching message text.
 */
export type NotificationErrorCode =
  | "INVALID_ARGUMENT"
  | "INVALID_LEVEL"
  | "INVALID_PERCENT"
  | "EMPTY_TEXT"
  | "UNSAFE_URL"
  | "INVALID_CHANNEL"
  | "INVALID_USER"
  | "INVALID_EVENT"
  | "INVALID_CURSOR"
  | "UNKNOWN_NOTIFICATION"
  | "INVALID_SETTING"
  | "PUBLISH_FAILED"
  | "STORE_FAILED"
  | "IDEMPOTENCY_CONFLICT"
  | "MISSING_DEPENDENCY";

/** Base class of every error the kit throws on purpose. */
export class NotificationError extends Error {
  readonly code: NotificationErrorCode;

  constructor(code: NotificationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A send-API argument is invalid (level, percent, text, URL, channel, user). */
export class InvalidNotificationError extends NotificationError {}

/** A setting could not be parsed; start-up stops with this error. */
export class InvalidSettingError extends NotificationError {
  readonly setting: string;

  constructor(setting: string, message: string) {
    super("INVALID_SETTING", `Invalid setting ${setting}: ${message}`);
    this.setting = setting;
  }
}

/** The channel layer could not carry a send (e.g. Redis is down). */
export class PublishError extends NotificationError {
  /**
   * Set when the send was stored before publishing failed: the row (this id) is not lost, it is
   * replayed to its audience on their next connect.
   */
  readonly storedId: number | undefined;

  constructor(message: string, options?: { cause?: unknown; storedId?: number }) {
    super("PUBLISH_FAILED", message, options);
    this.storedId = options?.storedId;
  }
}

/** The notification store could not save a send (e.g. the database is down). Nothing was published. */
export class StoreError extends NotificationError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("STORE_FAILED", message, options);
  }
}

/**
 * An idempotency key was reused for a different send: same key, same recipient and kind, other
 * content. Nothing was stored or published; `existingId` is the row the key already names.
 */
export class IdempotencyConflictError extends NotificationError {
  readonly existingId: number;

  constructor(key: string, existingId: number) {
    super(
      "IDEMPOTENCY_CONFLICT",
      `Idempotency key ${JSON.stringify(key)} already names notification ${existingId} with different content; use a new key for a different send.`,
    );
    this.existingId = existingId;
  }
}

/**
 * A notification-center call named notifications that are not the user's (someone else's, deleted,
 * or never stored). Nothing was changed; `ids` lists them.
 */
export class UnknownNotificationError extends NotificationError {
  readonly ids: number[];

  constructor(ids: number[]) {
    super("UNKNOWN_NOTIFICATION", `No such notification for this user: ${ids.join(", ")}. Nothing was changed.`);
    this.ids = ids;
  }
}
