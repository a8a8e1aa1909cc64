/**
 * The demo app's tables (users, articles). The kit's own tables live with the kit.
 *
 * Generate a migration after changing this file: `npm run db:generate` (never edit drizzle/ by hand).
 */
import { pgTable, serial, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** Accounts of the demo. `username` is stored lowercased; see `normalizeUsername` in ./users. */
export const users = pgTable("users", {
  id: uuid("id").primaryKey().defaultRandom(),
  username: text("username").notNull().unique(),
  passwordHash: text("password_hash").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Demo rows with their own pages (`/articles/[id]`), each a per-object channel (`articles-<id>`). */
export const articles = pgTable("articles", {
  id: serial("id").primaryKey(),
  title: text("title").notNull(),
  body: text("body").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export type User = typeof users.$inferSelect;
export type Article = typeof articles.$inferSelect;
