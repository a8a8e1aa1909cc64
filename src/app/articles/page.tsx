import type { Metadata } from "next";
import Link from "next/link";
import { listArticles } from "@/db";

export const metadata: Metadata = { title: "Articles" };
export const dynamic = "force-dynamic";

export default async function ArticlesPage() {
  const articles = await listArticles();
  return (
    <section>
      <h1>Articles</h1>
      <p className="muted">
        Each article is a database row with its own channel, <code>articles-&lt;id&gt;</code>. Its page subscribes the tab&apos;s
        socket to that channel while it is on screen, so a new comment reaches exactly the people reading that article. Open the
        same article in two windows (signed in as two users) and comment in one.
      </p>
      <ul className="article-list" data-testid="article-list">
        {articles.map((article) => (
          <li key={article.id} className="card article-card">
            <Link href={`/articles/${article.id}`}>
              <h2>{article.title}</h2>
            </Link>
            <p className="muted">{article.body.slice(0, 120)}{article.body.length > 120 ? "…" : ""}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}
