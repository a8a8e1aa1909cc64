/** Demo articles (three seeded by `migrateDatabase()`, without an author). */
import { asc, eq } from "drizzle-orm";
import { getReadyDb } from "./client";
import { articles, type Article } from "./schema";

/** All articles, oldest first. */
export async function listArticles(): Promise<Article[]> {
  const db = await getReadyDb();
  return db.select().from(articles).orderBy(asc(articles.id));
}

/** One article by id, or null (also for ids that are not positive integers). */
export async function findArticle(id: number | string): Promise<Article | null> {
  const key = typeof id === "number" ? id : /^\d{1,9}$/.test(id) ? Number(id) : NaN;
  if (!Number.isSafeInteger(key) || key < 1) return null;
  const db = await getReadyDb();
  const [row] = await db.select().from(articles).where(eq(articles.id, key)).limit(1);
  return row ?? null;
}

/**
 * Adds an article written by `authorId` (null: nobody's, like the seeded ones). Its author may
 * send to its channel `articles-<id>` without being an admin (src/demo/send-policy.ts).
 *
 * @example
 * const article = await createArticle({ title: "Release notes", body: "…", authorId: alice.id });
 */
export async function createArticle(values: { title: string; body: string; authorId: string | null }): Promise<Article> {
  const db = await getReadyDb();
  const [row] = await db.insert(articles).values(values).returning();
  return row!;
}
