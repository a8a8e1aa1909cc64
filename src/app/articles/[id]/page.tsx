import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { currentUser } from "@/auth";
import { articles, findArticle, listArticles, listComments, MAX_COMMENT_LENGTH } from "@/db";
import { ChannelSubscription, PresenceBadge } from "next-channels-broadcast/client";
import { currentWatermark, issueSubscriptionToken, objectChannel } from "next-channels-broadcast/server";
import { articleSubscriptionToken } from "./actions";
import { CommentForm } from "./comment-form";
import { LiveArticle } from "./live-article";

export const dynamic = "force-dynamic";

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const article = await findArticle((await params).id);
  return { title: article?.title ?? "Article" };
}

function formatTime(date: Date): string {
  return `${date.toLocaleString("en-GB", { timeZone: "UTC", dateStyle: "medium", timeStyle: "short" })} UTC`;
}

export default async function ArticlePage({ params }: Props) {
  const article = await findArticle((await params).id);
  if (!article) notFound();
  // The watermark first, then the rows: whatever is sent after it reaches this page when it
  // subscribes (`since`), so a comment posted while the page rendered is not lost.
  const since = await currentWatermark();
  const [user, comments, all] = await Promise.all([currentUser(), listComments(article.id), listArticles()]);

  // This page's channel, and a short-lived token that lets THIS viewer's socket (or an anonymous
  // one) subscribe to it. <ChannelSubscription> holds it on the layout's socket while the page is
  // on screen and lets go when the user navigates elsewhere — no new websocket. Tokens are
  // short-lived; `getToken` fetches a fresh one when a reconnect comes after it expired.
  const channel = objectChannel(articles, article.id);
  const token = issueSubscriptionToken({ user: user ?? null, channels: [channel] });
  const others = all.filter((other) => other.id !== article.id);

  return (
    <div className="article-layout">
      <ChannelSubscription token={token} since={since} getToken={articleSubscriptionToken.bind(null, article.id)} />
      <article className="card" data-testid="article" data-article-id={article.id}>
        <p className="muted">
          <Link href="/articles">← Articles</Link>
        </p>
        <h1>{article.title}</h1>
        <p>{article.body}</p>
        <div className="article-meta">
          <span className="muted small">
            Channel of this page: <code>{channel}</code>
          </span>
          <LiveArticle channel={channel} />
          {/* Who else reads this article, live: each reader once, however many tabs. */}
          <PresenceBadge channel={channel} label="viewing" />
        </div>
      </article>

      <section className="card" aria-labelledby="comments-heading">
        <h2 id="comments-heading">Comments</h2>
        {comments.length === 0 ? (
          <p className="muted" data-testid="comment-list">
            No comments yet. Post one: everyone reading this article gets a toast, readers of other articles don&apos;t.
          </p>
        ) : (
          <ol className="comment-list" data-testid="comment-list">
            {comments.map((comment) => (
              <li key={comment.id} id={`comment-${comment.id}`} className="comment" data-testid="comment">
                <p className="comment-head">
                  <strong>{comment.author}</strong> <span className="muted small">{formatTime(comment.createdAt)}</span>
                </p>
                <p className="comment-body">{comment.body}</p>
              </li>
            ))}
          </ol>
        )}
        {user ? (
          <CommentForm articleId={article.id} maxLength={MAX_COMMENT_LENGTH} />
        ) : (
          <p className="prompt" data-testid="comment-signin-prompt">
            <Link href={`/signin?callbackUrl=${encodeURIComponent(`/articles/${article.id}`)}`}>Sign in</Link> to comment.
          </p>
        )}
      </section>

      {others.length > 0 && (
        <nav className="card" aria-label="Other articles" data-testid="article-nav">
          <h2>Other articles</h2>
          <p className="muted small">These links navigate inside the app: the tab keeps its one socket and only swaps the page&apos;s channel.</p>
          <ul className="plain-list">
            {others.map((other) => (
              <li key={other.id}>
                <Link href={`/articles/${other.id}`} data-testid={`article-link-${other.id}`}>
                  {other.title}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      )}
    </div>
  );
}
