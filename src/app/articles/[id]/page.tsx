import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { findArticle } from "@/db";

export const dynamic = "force-dynamic";

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const article = await findArticle((await params).id);
  return { title: article?.title ?? "Article" };
}

export default async function ArticlePage({ params }: Props) {
  const article = await findArticle((await params).id);
  if (!article) notFound();

  return (
    <article className="card" data-testid="article" data-article-id={article.id}>
      <p className="muted">
        <Link href="/articles">← Articles</Link>
      </p>
      <h1>{article.title}</h1>
      <p>{article.body}</p>
      <p className="muted small">
        Channel of this page: <code>articles-{article.id}</code>
      </p>
    </article>
  );
}
