/** Comments on the demo articles. */
import { asc, eq } from "drizzle-orm";
import { getReadyDb } from "./client";
import { comments, users, type Comment } from "./schema";

/** Longest comment body accepted. */
export const MAX_COMMENT_LENGTH = 2000;

/** A comment with its author's username, as the article page shows it. */
export interface CommentView {
  id: number;
  body: string;
  author: string;
  createdAt: Date;
}

/** Comments of one article, oldest first. */
export async function listComments(articleId: number): Promise<CommentView[]> {
  const db = await getReadyDb();
  return db
    .select({ id: comments.id, body: comments.body, author: users.username, createdAt: comments.createdAt })
    .from(comments)
    .innerJoin(users, eq(users.id, comments.authorId))
    .where(eq(comments.articleId, articleId))
    .orderBy(asc(comments.id));
}

/** Stores a comment. The caller validates the body and checks that the article exists. */
export async function addComment(input: { articleId: number; authorId: string; body: string }): Promise<Comment> {
  const db = await getReadyDb();
  const [row] = await db.insert(comments).values(input).returning();
  if (!row) throw new Error("The comment was not stored.");
  return row;
}
