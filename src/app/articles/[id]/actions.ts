"use server";
/**
 * Posting a comment: store it, then tell everyone reading this article — and nobody else — over
 * the article's own channel (`articles-<id>`).
 */
import { revalidatePath } from "next/cache";
import { currentUser } from "@/auth";
import { addComment, articles, findArticle, MAX_COMMENT_LENGTH } from "@/db";
import { demoLimiters, takeSendToken } from "@/demo/rate-limit";
import { issueSubscriptionToken, objectChannel, refreshObject, refreshOriginOf, sendToObject } from "next-channels-broadcast/server";

export interface CommentState {
  status: "idle" | "posted" | "error";
  message: string;
  /** Changes on every submission so the UI can re-announce identical results. */
  at: number;
}

const EXCERPT_LENGTH = 80;

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > EXCERPT_LENGTH ? `${flat.slice(0, EXCERPT_LENGTH - 1)}…` : flat;
}

/** Posts a comment on article `articleId` (bound by the page). Requires a session. */
export async function postComment(articleId: number, _previous: CommentState, formData: FormData): Promise<CommentState> {
  const at = Date.now();
  const user = await currentUser();
  if (!user) return { status: "error", message: "Sign in to comment.", at };
  const article = await findArticle(articleId);
  if (!article) return { status: "error", message: "This article no longer exists.", at };
  const raw = formData.get("body");
  const body = typeof raw === "string" ? raw.trim() : "";
  if (!body) return { status: "error", message: "Write something first.", at };
  if (body.length > MAX_COMMENT_LENGTH) return { status: "error", message: `Keep it under ${MAX_COMMENT_LENGTH} characters.`, at };
  // Each comment notifies every reader of the article: it counts against the author's send budget.
  const tooFast = takeSendToken(demoLimiters(), user.id);
  if (tooFast) return { status: "error", message: tooFast, at };

  const comment = await addComment({ articleId: article.id, authorId: user.id, body });
  revalidatePath(`/articles/${article.id}`);
  try {
    // Every other tab on this article re-renders its comment list (live server components); the
    // posting tab re-renders from its own action (revalidatePath) and skips it.
    await refreshObject({ table: articles, id: article.id }, { origin: refreshOriginOf(formData) });
    // The row reference becomes the channel `articles-<id>`: only sockets whose page subscribed
    // to this article (see page.tsx) get the toast.
    await sendToObject({ table: articles, id: article.id }, `${user.name} commented on “${article.title}”: ${excerpt(body)}`, {
      clickURL: `/articles/${article.id}#comment-${comment.id}`,
    });
  } catch (error) {
    // The comment is stored; only the live toast failed.
    console.error(`[demo] could not notify readers of article ${article.id}`, error);
    return { status: "posted", message: "Comment posted (readers could not be notified live).", at };
  }
  return { status: "posted", message: "Comment posted.", at };
}

/**
 * A fresh subscription token for article `articleId`'s channel (bound by the page), for the
 * viewer asking now: `<ChannelSubscription getToken>` calls it when the page's token expired
 * before a reconnect. A deleted article gets no token.
 */
export async function articleSubscriptionToken(articleId: number): Promise<string> {
  const article = await findArticle(articleId);
  if (!article) throw new Error("This article no longer exists.");
  return issueSubscriptionToken({ user: (await currentUser()) ?? null, channels: [objectChannel(articles, article.id)] });
}
