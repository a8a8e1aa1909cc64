/**
 * What the kit needs from a notification store. `createDrizzleStore` (./index.ts) implements it
 * on PGlite or PostgreSQL; tests or other backends can implement it too.
 */
import type { EventFrame, MessageFrame, ProgressFrame, RedirectFrame, RefreshFrame } from "../../shared/protocol.js";
import type { CenterStore } from "./center.js";
import type { StoreSettings } from "./settings.js";

/** A message or redirect frame as it is stored: without its id. */
export type StorableFrame = Omit<MessageFrame, "id"> | Omit<RedirectFrame, "id"> | Omit<EventFrame, "id"> | Omit<RefreshFrame, "id">;

/** A stored row, ready to send: `text` is the serialised frame, its `id` included. */
export interface StoredNotification {
  id: number;
  group: string;
  inbox: boolean;
  /** The frame exactly as it goes on the wire (JSON, `id` second after `type`, then `"ack":true` for inbox rows). */
  text: string;
}

/** One inbox row acknowledged by a socket of its user. */
export interface InboxAck {
  /** The user's group (`user:<id>`); an ack only counts for a row of this group. */
  group: string;
  id: number;
}

/** What a revocation covers: one session, or every session of a user issued before it. */
export type RevocationSubject = { sessionId: string } | { userId: string };

/** Options of `NotificationStore.save`. */
export interface SaveOptions {
  /** True for a user-targeted row (the durable inbox). */
  inbox: boolean;
  /**
   * Names this notification within its group and kind: a second save with the same key returns the
   * first row's id; one with different content throws `IdempotencyConflictError`.
   */
  idempotencyKey?: string | null;
}

export interface CleanupOptions {
  /** Default: the store's `cleanupIntervalMs` setting. */
  intervalMs?: number;
  /** Called after each run with the number of rows deleted. */
  onRun?: (deleted: number) => void;
  /** Called when a run fails (the next run still happens). Default: the kit's logger, at `error`. */
  onError?: (error: unknown) => void;
}

export interface NotificationStore {
  readonly settings: StoreSettings;
  /**
   * Stores a message or redirect for `group` and returns its id (larger than every id already
   * visible). `inbox` marks a user-targeted row: replayed until acknowledged or expired.
   *
   * With `idempotencyKey`: when a row of the same group and kind has that key, nothing is inserted
   * and that row's id is returned (atomically, also under concurrent saves) — or, when the stored
   * frame differs from `frame`, `IdempotencyConflictError` is thrown. A key is remembered as long
   * as its row: once the row expired and was deleted, the same key stores a new row.
   */
  save(group: string, frame: StorableFrame, options: SaveOptions): Promise<number>;
  /** Replaces the latest progress of `group`; returns its new version (one more than the last, across processes). */
  saveProgress(group: string, frame: ProgressFrame): Promise<number>;
  /**
   * Unacknowledged, unexpired inbox rows of one user group, oldest first, at most `limit`
   * (default `inboxReplayMax`); with `afterId`, only rows above it (the next page of a backlog).
   */
  pendingInbox(userGroup: string, options?: { limit?: number; afterId?: number }): Promise<StoredNotification[]>;
  /**
   * Non-inbox rows of `groups` with an id above `afterId`, created within the recovery window:
   * the newest `limit` of them, in id order.
   */
  missedSince(groups: readonly string[], afterId: number, options?: { windowMs?: number; limit?: number }): Promise<StoredNotification[]>;
  /** The latest progress frame of each of `groups` that has one (expired ones excluded), with its version `v`. */
  latestProgress(groups: readonly string[]): Promise<ProgressFrame[]>;
  /**
   * Acknowledges inbox rows, many in one statement. Each counts only when the row is a pending
   * inbox row of the given group; it is then acknowledged for every tab of its user. Unknown ids,
   * other groups' rows and rows already acknowledged change nothing. Returns how many were marked.
   */
  ackInbox(acks: readonly InboxAck[]): Promise<number>;
  /**
   * Records a revocation, kept until `expiresAt` (the longest a revoked session could still be
   * valid). A later revocation of the same subject moves its time forward, never back.
   */
  revoke(subject: RevocationSubject, options: { at?: Date; expiresAt: Date }): Promise<void>;
  /**
   * When each subject was revoked (ms since epoch), for subjects that are: keys are
   * `session:<id>` and `user:<id>`, as asked. One query whatever the number of subjects.
   */
  revocations(subjects: readonly RevocationSubject[]): Promise<Map<string, number>>;
  /** Deletes expired rows (and progress older than the retention, and expired revocations); returns how many. */
  deleteExpired(now?: Date): Promise<number>;
  /** The largest id stored so far (0 when none): hand it to a page so it can recover what follows. */
  currentWatermark(): Promise<number>;
  /**
   * The users with the most pending inbox rows (unacknowledged, unexpired), most first, at most
   * `limit` of them: what `getStats()` shows. Optional: a store without it reports none.
   */
  inboxBacklog?(limit: number): Promise<{ group: string; pending: number }[]>;
  /** The notification center's queries (a user's messages and their states). Optional: without it the center API throws `StoreError`. */
  center?: CenterStore;
  /** Starts deleting expired rows periodically (an unref'd timer). Returns the function that stops it. */
  startCleanup(options?: CleanupOptions): () => void;
  /** Stops every cleanup timer. Does not close the database (it belongs to the app). */
  close(): Promise<void>;
}
