/**
 * The kit's own tables: stored notifications (replay, durable per-user inbox), the latest
 * progress per group, and revoked sessions. Every name starts with `ncb_`, so they cannot collide
 * with an app's own `notifications` table. The kit ships their migrations (`drizzle/` in this
 * package, applied by `migrateNotifications(db)`, recorded in their own `__ncb_migrations`
 * table); regenerate them after changing this file with `npm run db:generate -w next-channels-broadcast`.
 */
import { sql } from "drizzle-orm";
import { bigint, boolean, index, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/**
 * One stored message or redirect. `id` is the id the frame carries on the wire; ids only grow.
 * `frame` is the serialised frame without its id (the id is added when it is sent).
 */
export const notifications = pgTable(
  "ncb_notifications",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    /** The group it was published to: `all`, `authenticated`, `anonymous`, `user:<id>` or a channel name. */
    group: text("group").notNull(),
    /** The frame's type. Plain text in the database (no CHECK), so new kinds need no migration. */
    kind: text("kind", { enum: ["message", "redirect", "event", "refresh"] }).notNull(),
    frame: text("frame").notNull(),
    /** True for user-targeted rows: replayed to the user's new sockets until acknowledged or expired. */
    inbox: boolean("inbox").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    /** Set by the first acknowledgement from any of the user's sockets (inbox rows only). */
    ackedAt: timestamp("acked_at", { withTimezone: true, mode: "date" }),
    /**
     * The sender's idempotency key, if it gave one: a second save with the same key, for the same
     * group and kind, returns this row's id instead of inserting (and is refused when its content
     * differs). The key lives as long as its row (deleted with it at expiry).
     */
    idempotencyKey: text("idempotency_key"),
    /**
     * Notification center (a user's messages only): when one of their tabs showed it in a list,
     * when they read it, when they archived it. A person's actions, distinct from `ackedAt`
     * (delivery to a tab).
     */
    seenAt: timestamp("seen_at", { withTimezone: true, mode: "date" }),
    readAt: timestamp("read_at", { withTimezone: true, mode: "date" }),
    archivedAt: timestamp("archived_at", { withTimezone: true, mode: "date" }),
    /** Until when the notification center keeps it (`NOTIFICATIONS_CENTER_RETENTION_MS`); the cleanup deletes a row once this and `expiresAt` have passed. */
    keepUntil: timestamp("keep_until", { withTimezone: true, mode: "date" }),
  },
  (table) => [
    // Recovery after reconnect: WHERE group = ANY(...) AND NOT inbox AND id > $lastId.
    index("ncb_notifications_recovery_idx").on(table.group, table.id).where(sql`not ${table.inbox}`),
    // Pending inbox at connect: WHERE group = $userGroup AND inbox AND acked_at IS NULL, oldest first.
    index("ncb_notifications_inbox_pending_idx").on(table.group, table.id).where(sql`${table.inbox} and ${table.ackedAt} is null`),
    // Notification center: a user's messages, newest first (list, unread count).
    index("ncb_notifications_center_idx").on(table.group, table.id).where(sql`${table.inbox} and ${table.kind} = 'message'`),
    // Periodic cleanup: WHERE expires_at <= now.
    index("ncb_notifications_expires_at_idx").on(table.expiresAt),
    // Idempotent saves, a key scoped to its recipient and kind:
    // INSERT … ON CONFLICT ("group", "kind", "idempotency_key") WHERE "idempotency_key" IS NOT NULL.
    uniqueIndex("ncb_notifications_idempotency_scope_idx")
      .on(table.group, table.kind, table.idempotencyKey)
      .where(sql`${table.idempotencyKey} is not null`),
  ],
);

/** The latest progress of each group; a new value replaces the old one. */
export const notificationProgress = pgTable(
  "ncb_notification_progress",
  {
    group: text("group").primaryKey(),
    /** Always ends in `%`, e.g. `"42%"`. */
    percent: text("percent").notNull(),
    /** Grows by one with every update of the group (across processes): the frame's `v`, so the newer value wins. */
    version: bigint("version", { mode: "number" }).notNull().default(1),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (table) => [index("ncb_notification_progress_updated_at_idx").on(table.updatedAt)],
);

/**
 * Revoked sessions, consulted when a socket opens and periodically for open ones. A row's
 * `subject` is `session:<session id>` (one signed-out session) or `user:<user id>` (every session
 * of that user issued before `revoked_at`: a deleted user, or "sign out everywhere"). Rows are
 * deleted once `expires_at` passes (no session that old can still be valid).
 */
export const notificationRevocations = pgTable(
  "ncb_revocations",
  {
    subject: text("subject").primaryKey(),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (table) => [index("ncb_revocations_expires_at_idx").on(table.expiresAt)],
);

export type NotificationRow = typeof notifications.$inferSelect;
export type NotificationProgressRow = typeof notificationProgress.$inferSelect;
