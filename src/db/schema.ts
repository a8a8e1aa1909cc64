/**
 * The demo app's tables (users, articles, comments). The kit's own tables live with the kit.
 *
 * Generate a migration after changing this file: `npm run db:generate` (never edit drizzle/ by hand).
 */
import { sql } from "drizzle-orm";
import { check, index, integer, pgTable, serial, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * What an account may do in the demo. A `user` sends only to themself, to articles they wrote and
 * to their own jobs; an `admin` may send anything to anyone (see src/demo/send-policy.ts).
 */
export const USER_ROLES = ["admin", "user"] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** Accounts of the demo. `username` is stored lowercased; see `normalizeUsername` in ./users. */
export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    username: text("username").notNull().unique(),
    passwordHash: text("password_hash").notNull(),
    /** The stored role; `DEMO_ADMIN_USERNAMES` can make more users admins (src/demo/roles.ts). */
    role: text("role", { enum: USER_ROLES }).notNull().default("user"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [check("users_role_check", sql`${table.role} in ('admin', 'user')`)],
);

/** Demo rows with their own pages (`/articles/[id]`), each a per-object channel (`articles-<id>`). */
export const articles = pgTable("articles", {
  id: serial("id").primaryKey(),
  title: text("title").notNull(),
  body: text("body").notNull(),
  /**
   * Who wrote it: a normal user may send to the channel of an article they wrote. The seeded demo
   * articles have no author, so only an admin may send to their channels.
   */
  authorId: uuid("author_id").references(() => users.id, { onDelete: "set null" }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Comments on an article; posting one notifies the readers of that article's page. */
export const comments = pgTable(
  "comments",
  {
    id: serial("id").primaryKey(),
    articleId: integer("article_id")
      .notNull()
      .references(() => articles.id, { onDelete: "cascade" }),
    authorId: uuid("author_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    body: text("body").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index("comments_article_id_idx").on(table.articleId, table.id)],
);

export type User = typeof users.$inferSelect;
export type Article = typeof articles.$inferSelect;
export type Comment = typeof comments.$inferSelect;
